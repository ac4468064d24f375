"""Marketing consent per channel, and the one question every outbound message asks first: may we send this?

Consent is append-only (`ConsentRecord`): the latest record per channel is the customer's choice, with when and
where it was given. A service message (an answer to the customer, a reward they earned, a code they asked for) goes
unless the customer opted out of the channel; a marketing message goes only to a customer who opted in. A customer
who is `opted_out` of the programme gets nothing."""

from django.db.models import QuerySet

from loyalty.errors import LoyaltyInputError
from loyalty.models import ConsentChannel, ConsentRecord, Customer, CustomerStatus, Tenant


def record_consent(*, tenant: Tenant, customer: Customer, channel: str, granted: bool, source: str) -> ConsentRecord:
    if channel not in ConsentChannel.values:
        raise LoyaltyInputError(details={"channel": [f"One of: {', '.join(ConsentChannel.values)}."]})
    source = (source or "").strip()[:40]
    if not source:
        raise LoyaltyInputError(details={"source": ["Say where the consent was given."]})
    return ConsentRecord.objects.create(
        tenant=tenant, customer=customer, channel=channel, granted=granted, source=source
    )


def consent_state(*, tenant: Tenant, customer: Customer, channel: str) -> bool | None:
    """True (opted in), False (opted out) or None (never asked)."""
    latest = (
        ConsentRecord.objects.filter(tenant=tenant, customer=customer, channel=channel)
        .order_by("-recorded_at", "-id")
        .values_list("granted", flat=True)
        .first()
    )
    return latest


def consents_of(*, tenant: Tenant, customer: Customer) -> dict[str, ConsentRecord | None]:
    """Each channel's latest record (None: never asked)."""
    latest: dict[str, ConsentRecord | None] = dict.fromkeys(ConsentChannel.values)
    for record in ConsentRecord.objects.filter(tenant=tenant, customer=customer).order_by("recorded_at", "id"):
        latest[record.channel] = record
    return latest


def may_message(*, tenant: Tenant, customer: Customer, channel: str, marketing: bool = False) -> bool:
    if customer.status == CustomerStatus.OPTED_OUT:
        return False
    state = consent_state(tenant=tenant, customer=customer, channel=channel)
    return state is True if marketing else state is not False


def consent_history(*, tenant: Tenant, customer: Customer) -> QuerySet[ConsentRecord]:
    """Every record of the customer, newest first: what they chose, when and where."""
    return ConsentRecord.objects.filter(tenant=tenant, customer=customer).order_by("-recorded_at", "-id")
