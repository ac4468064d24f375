"""Referrals: a customer brings another with their referral code; both get the tenant's `referral_reward` on the
referee's first qualifying event (`Tenant.referral_event_type`).

- Every customer gets a code at enrolment: eight characters of an alphabet with no 0/O or 1/I, unique per tenant
  (a code in use is drawn again; the unique constraint is the last word). Customers enrolled before codes existed
  get theirs the first time it is asked for (`referral_code_of`).
- Enrolment with a code the tenant does not know is refused (422 `referral_code_unknown`) and enrols nobody. A
  self-referral (the referrer's own phone or the same device id) still enrols the customer; the referral is
  recorded as `refused` with its reason, and the enrolment's answer says so.
- Rewarding happens once: under the `Referral` row's lock, only from `pending`, both issuances or neither. The
  event's transaction takes the locks in the order every event takes them: the referee's row (the event's
  customer), the referral, the referrer's row, then the reward with the rules' rewards (`_evaluate` locks it),
  then the budget's accounts. A reward the budget cannot cover, that is switched off or out of codes, or a side
  that is no longer active, leaves the referral `pending` with the reason noted: the referee's next qualifying
  event tries again. A referral made while the tenant has no referral reward waits the same way.
"""

import secrets

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from loyalty.errors import BudgetExhaustedError, LoyaltyInputError, ReferralCodeUnknownError, RewardUnavailableError
from loyalty.models import Customer, CustomerStatus, Event, Issuance, Referral, ReferralStatus, Reward, Tenant
from loyalty.services.issuances import issue_reward

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
CODE_DRAWS = 8
REFERRAL_ACTOR = "job:referral"


# --- codes -------------------------------------------------------------------------------------------------------


def normal_code(code: str) -> str:
    return (code or "").strip().upper()


def new_referral_code(*, tenant: Tenant) -> str:
    """A code no customer of the tenant has yet (drawn again on a clash; 32^8 codes make a clash rare)."""
    for _ in range(CODE_DRAWS):
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        if not Customer.objects.filter(tenant=tenant, referral_code=code).exists():
            return code
    raise RuntimeError("No free referral code after several draws")  # 32^8 codes: not in this universe


def referral_code_of(*, tenant: Tenant, customer: Customer) -> str:
    """The customer's code, made now if they were enrolled before codes existed."""
    if customer.referral_code:
        return customer.referral_code
    with transaction.atomic():
        Customer.objects.filter(tenant=tenant, pk=customer.pk, referral_code__isnull=True).update(
            referral_code=new_referral_code(tenant=tenant)
        )
        customer.referral_code = (
            Customer.objects.filter(tenant=tenant, pk=customer.pk).values_list("referral_code", flat=True).first()
        )
    return customer.referral_code or ""


def referrer_by_code(*, tenant: Tenant, code: str) -> Customer:
    code = normal_code(code)
    found = Customer.objects.filter(tenant=tenant, referral_code=code).first() if code else None
    if found is None:
        raise ReferralCodeUnknownError(details={"referral_code": [ReferralCodeUnknownError.message]})
    return found


# --- reads -------------------------------------------------------------------------------------------------------


def referrals_of(*, tenant: Tenant, status: str | None = None) -> QuerySet[Referral]:
    found = Referral.objects.filter(tenant=tenant).order_by("-created_at", "-pk")
    return found.filter(status=status) if status else found


def referral_of_referee(*, tenant: Tenant, referee: Customer) -> Referral | None:
    return Referral.objects.filter(tenant=tenant, referee=referee).first()


# --- writes ------------------------------------------------------------------------------------------------------


def self_referral(*, referrer: Customer, referee: Customer) -> str:
    """Why this is the referrer referring themselves ("" if it is not)."""
    if referrer.pk == referee.pk:
        return "same_customer"
    if referrer.phone == referee.phone:
        return "same_phone"
    if referrer.device_id and referrer.device_id == referee.device_id:
        return "same_device"
    return ""


def record_referral(*, tenant: Tenant, referrer: Customer, referee: Customer) -> Referral:
    """Who brought whom, at the referee's enrolment: `pending`, or `refused` for a self-referral."""
    if referrer.tenant_id != tenant.pk or referee.tenant_id != tenant.pk:
        raise LoyaltyInputError(details={"referral_code": ["Not a code of this programme."]})
    reason = self_referral(referrer=referrer, referee=referee)
    if reason == "same_customer":  # the database refuses it too; no row can say it
        raise LoyaltyInputError(details={"referral_code": ["A customer cannot refer themselves."]})
    return Referral.objects.create(
        tenant=tenant,
        referrer=referrer,
        referee=referee,
        status=ReferralStatus.REFUSED if reason else ReferralStatus.PENDING,
        reason=reason,
    )


def pending_referral(*, tenant: Tenant, event: Event) -> Referral | None:
    """The referral this event may reward, locked with both customers' rows (the referee's first), or None: not
    the tenant's qualifying event type, no referral reward, or no pending referral of the event's customer."""
    if event.event_type != tenant.referral_event_type or tenant.referral_reward_id is None:
        return None
    Customer.objects.select_for_update().filter(tenant=tenant, pk=event.customer_id).first()
    referral = (
        Referral.objects.select_for_update()
        .filter(tenant=tenant, referee_id=event.customer_id, status=ReferralStatus.PENDING)
        .first()
    )
    if referral is not None:
        Customer.objects.select_for_update().filter(tenant=tenant, pk=referral.referrer_id).first()
    return referral


def reward_referral(*, tenant: Tenant, referral: Referral, event: Event) -> list[Issuance]:
    """Give the referral reward to the referee (for `event`) and to the referrer, and mark the referral rewarded;
    call with `referral` from `pending_referral`, in the same transaction. Both issuances or neither: what stops
    them is noted on the referral, which stays pending."""
    reward = Reward.objects.filter(tenant=tenant, pk=tenant.referral_reward_id or 0).first()
    referee = Customer.objects.get(tenant=tenant, pk=referral.referee_id)
    referrer = Customer.objects.get(tenant=tenant, pk=referral.referrer_id)
    reason = ""
    if reward is None:
        reason = "no_referral_reward"
    elif referee.status != CustomerStatus.ACTIVE or referrer.status != CustomerStatus.ACTIVE:
        reason = "customer_not_active"
    if not reason and reward is not None:
        try:
            with transaction.atomic():
                issued = [
                    issue_reward(tenant=tenant, customer=referee, reward=reward, actor=REFERRAL_ACTOR, event=event),
                    issue_reward(tenant=tenant, customer=referrer, reward=reward, actor=REFERRAL_ACTOR),
                ]
        except (BudgetExhaustedError, RewardUnavailableError) as exc:
            reason = exc.code
    if reason:
        Referral.objects.filter(pk=referral.pk).update(reason=reason)
        return []
    referral.status = ReferralStatus.REWARDED
    referral.reason = ""
    referral.event = event
    referral.rewarded_at = timezone.now()
    referral.save(update_fields=["status", "reason", "event", "rewarded_at"])
    return issued
