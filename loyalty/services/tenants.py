"""Tenants, their staff and their integrators' API keys.

An API key signs every request: `X-Signature` is the hex HMAC-SHA256, keyed with the key's secret, of
`<X-Timestamp>.<METHOD>.<path>.` followed by the raw body; the timestamp (unix seconds) must be within five minutes
of ours. The method and path are signed so a body signed for one endpoint cannot be replayed to another."""

import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from loyalty.errors import ApiKeyLimitError, LoyaltyInputError, LoyaltyObjectNotFoundError
from loyalty.models import ApiKey, Reward, StaffRole, Tenant, TenantStaff
from loyalty.selectors import api_key_of, staff_member
from loyalty.tenancy import tenant_context

MAX_ACTIVE_KEYS = 2
SIGNATURE_SKEW = 300  # seconds either way
LAST_USED_GRANULARITY = timedelta(minutes=1)


def _field_error(field: str, message: str) -> LoyaltyInputError:
    return LoyaltyInputError(message, details={field: [message]})


def _check_zone(time_zone: str) -> None:
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise _field_error("time_zone", "Not a time zone; use an IANA name such as Africa/Harare.") from None


def create_tenant(
    *,
    creator: User,
    name: str,
    currency: str,
    time_zone: str,
    display_name: str = "",
    auto_enrol: bool = True,
    points_validity_days: int = 365,
) -> Tenant:
    """A new business; its creator becomes its admin. Runs in the new tenant's context (its rows are written
    under row-level security like any other)."""
    _check_zone(time_zone)
    tenant_id = uuid.uuid4()
    with tenant_context(tenant_id, user_id=creator.pk):
        tenant = Tenant.objects.create(
            id=tenant_id,
            name=name.strip(),
            display_name=display_name.strip() or name.strip(),
            currency=currency,
            time_zone=time_zone,
            auto_enrol=auto_enrol,
            points_validity_days=points_validity_days,
            created_by=creator,
        )
        TenantStaff.objects.create(tenant=tenant, user=creator, role=StaffRole.ADMIN)
    return tenant


UPDATABLE = frozenset({"name", "display_name", "time_zone", "auto_enrol", "points_validity_days"})
UPDATABLE |= {"tier_basis", "tier_period_days", "tier_downgrade", "tier_grace_days", "referral_event_type"}
UPDATABLE |= {"referral_reward"}  # a reward id of this tenant, or None: referrals off


def update_tenant(*, tenant: Tenant, **fields: object) -> Tenant:
    """Change a tenant's settings. The currency stays: budgets and rewards are in it."""
    unknown = set(fields) - UPDATABLE
    if unknown:
        raise _field_error(sorted(unknown)[0], "This setting cannot be changed.")
    if "time_zone" in fields:
        _check_zone(str(fields["time_zone"]))
    wanted = fields.get("referral_reward")
    if wanted is not None:
        reward = Reward.objects.filter(tenant=tenant, pk=wanted if isinstance(wanted, int) else 0).first()
        if reward is None:  # another tenant's is not found either
            raise LoyaltyObjectNotFoundError("No such reward.", details={"referral_reward": wanted})
        fields["referral_reward"] = reward
    for name, value in fields.items():
        setattr(tenant, name, value.strip() if isinstance(value, str) else value)
    tenant.save(update_fields=list(fields))
    return tenant


def add_staff(*, tenant: Tenant, email: str, role: str) -> TenantStaff:
    """Give a Pamoja user a role in the tenant. An email no account has is "not found"; one already staff, 409."""
    user = User.objects.filter(email=User.objects.normalize_email(email), is_active=True).first()
    if user is None:
        raise LoyaltyObjectNotFoundError("No Pamoja account has this email.", details={"email": email})
    try:
        with transaction.atomic():
            return TenantStaff.objects.create(tenant=tenant, user=user, role=role)
    except IntegrityError:
        raise LoyaltyInputError("This user is staff of the tenant already.", details={"email": [email]}) from None


def _keep_an_admin(tenant: Tenant, member: TenantStaff) -> None:
    others = TenantStaff.objects.filter(tenant=tenant, role=StaffRole.ADMIN).exclude(pk=member.pk)
    if member.role == StaffRole.ADMIN and not others.select_for_update().exists():
        raise LoyaltyInputError("A tenant keeps at least one admin.", details={"role": ["The last admin stays."]})


def change_staff_role(*, tenant: Tenant, staff_id: int, role: str) -> TenantStaff:
    with transaction.atomic():
        member = staff_member(tenant=tenant, staff_id=staff_id)
        if role != StaffRole.ADMIN:
            _keep_an_admin(tenant, member)
        member.role = role
        member.save(update_fields=["role"])
    return member


def remove_staff(*, tenant: Tenant, staff_id: int) -> None:
    with transaction.atomic():
        member = staff_member(tenant=tenant, staff_id=staff_id)
        _keep_an_admin(tenant, member)
        member.delete()


@dataclass(frozen=True)
class NewApiKey:
    key: ApiKey
    secret: str  # shown to its creator once; afterwards only the server can read it (encrypted at rest)


def create_api_key(*, tenant: Tenant, creator: User, name: str = "") -> NewApiKey:
    """A new key for an integrator; at most two active per tenant (rotation: create the new, move, revoke the old)."""
    with transaction.atomic():
        Tenant.objects.select_for_update().filter(pk=tenant.pk).first()  # one key at a time per tenant
        if ApiKey.objects.filter(tenant=tenant, revoked_at__isnull=True).count() >= MAX_ACTIVE_KEYS:
            raise ApiKeyLimitError()
        secret = "lsk_" + secrets.token_urlsafe(32)
        key = ApiKey.objects.create(
            tenant=tenant, key_id="lk_" + secrets.token_hex(12), secret=secret, name=name.strip(), created_by=creator
        )
    return NewApiKey(key=key, secret=secret)


def revoke_api_key(*, tenant: Tenant, key_pk: int) -> ApiKey:
    key = api_key_of(tenant=tenant, key_pk=key_pk)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def request_signature(*, secret: str, timestamp: str, method: str, path: str, body: bytes) -> str:
    """What an integrator sends as X-Signature (documented in the README)."""
    message = f"{timestamp}.{method.upper()}.{path}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def authenticate_api_key(
    *, tenant_id: uuid.UUID | str, key_id: str, timestamp: str, signature: str, method: str, path: str, body: bytes
) -> ApiKey | None:
    """The tenant's active key whose signature over this request is right and fresh, or None. Only the tenant in
    the URL is searched (the transaction is already in its context), so a key reaches its own tenant and no other."""
    if not (key_id and timestamp and signature) or not timestamp.isascii() or not timestamp.isdigit():
        return None
    if abs(time.time() - int(timestamp)) > SIGNATURE_SKEW:
        return None
    key = ApiKey.objects.filter(tenant_id=tenant_id, key_id=key_id, revoked_at__isnull=True).first()
    if key is None:
        return None
    expected = request_signature(secret=key.secret, timestamp=timestamp, method=method, path=path, body=body)
    if not hmac.compare_digest(expected, signature.strip().lower()):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_GRANULARITY:
        # at most once a minute: the row lock of this update would otherwise queue every request signed with the key
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key
