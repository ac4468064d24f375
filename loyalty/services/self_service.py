"""What a customer can do for themselves on a channel with no app (WhatsApp, USSD): enrol, see their points, tier
and rewards, and ask for a reward's code to show at the till. The channels own the conversation; this owns the
effects, so both channels behave the same."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from loyalty.errors import LoyaltyObjectNotFoundError
from loyalty.models import ConsentChannel, Customer, CustomerStatus, Issuance, IssuanceState, Tenant
from loyalty.selectors import customer_by_phone
from loyalty.services.consent import record_consent
from loyalty.services.customers import create_customer, e164


@dataclass(frozen=True)
class Summary:
    points: int
    tier: str
    open_rewards: int


def find_customer(*, tenant: Tenant, phone: str) -> Customer | None:
    return customer_by_phone(tenant=tenant, phone=e164(phone))


def enrol(
    *,
    tenant: Tenant,
    phone: str,
    channel: str,
    marketing_consent: bool | None = None,
    consent_channel: str = ConsentChannel.WHATSAPP,
) -> tuple[Customer, bool]:
    """The customer with this phone, enrolled now if new; `(customer, created)`. A consent answer, when given, is
    recorded whether or not they were new (the channel as its source)."""
    with transaction.atomic():
        customer = find_customer(tenant=tenant, phone=phone)
        created = customer is None
        if customer is None:
            customer = create_customer(tenant=tenant, phone=phone, channel=channel)
        if marketing_consent is not None:
            record_consent(
                tenant=tenant, customer=customer, channel=consent_channel, granted=marketing_consent, source=channel
            )
    return customer, created


def open_rewards(*, tenant: Tenant, customer: Customer, limit: int = 5) -> list[Issuance]:
    """The customer's rewards they can still use, the soonest to expire first."""
    now = timezone.now()
    return list(
        Issuance.objects.filter(tenant=tenant, customer=customer, state=IssuanceState.ISSUED)
        .exclude(expires_at__lte=now)
        .select_related("reward")
        .order_by("expires_at", "pk")[:limit]
    )


def summary(*, tenant: Tenant, customer: Customer) -> Summary:
    now = timezone.now()
    rewards = (
        Issuance.objects.filter(tenant=tenant, customer=customer, state=IssuanceState.ISSUED)
        .exclude(expires_at__lte=now)
        .count()
    )
    tier = customer.tier.name if customer.tier_id and customer.tier else ""
    return Summary(points=customer.points, tier=tier, open_rewards=rewards)


def reward_code(*, tenant: Tenant, customer: Customer, issuance_id: int) -> Issuance:
    """One of the customer's usable rewards, to show its code at the till (the till redeems it with the code).
    Another customer's reward, or one no longer usable, is not found."""
    now = timezone.now()
    issuance = (
        Issuance.objects.filter(tenant=tenant, customer=customer, pk=issuance_id, state=IssuanceState.ISSUED)
        .exclude(expires_at__lte=now)
        .select_related("reward")
        .first()
    )
    if issuance is None or customer.status != CustomerStatus.ACTIVE:
        raise LoyaltyObjectNotFoundError("No such reward to use.")
    return issuance


def set_language(*, customer: Customer, language: str) -> Customer:
    customer.language = language
    customer.save(update_fields=["language", "updated_at"])
    return customer
