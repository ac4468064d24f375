"""A tenant's customers: enrolled by staff, by an integrator, or on their first event (when the tenant allows)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.phone_numbers import normalize_phone_number
from loyalty.errors import CustomerExistsError, LoyaltyInputError
from loyalty.models import Channel, Customer, CustomerStatus, Tenant, WebhookEventType
from loyalty.selectors import customer_of
from loyalty.services.referrals import new_referral_code, record_referral, referrer_by_code
from loyalty.services.webhooks import customer_payload, publish


def e164(phone: str) -> str:
    try:
        return normalize_phone_number(phone)
    except ValidationError as exc:
        raise LoyaltyInputError(exc.messages[0], details={"phone": exc.messages}) from None


def create_customer(
    *,
    tenant: Tenant,
    phone: str,
    external_ref: str | None = None,
    channel: str = Channel.API,
    attributes: dict[str, Any] | None = None,
    referral_code: str | None = None,
    device_id: str = "",
) -> Customer:
    """A phone already in the tenant, or an external reference already used there, is a conflict (409). The new
    customer gets their own referral code; `referral_code`, another customer's, records who referred them
    (`loyalty.services.referrals`: an unknown code is refused, a self-referral is recorded refused)."""
    referrer = referrer_by_code(tenant=tenant, code=referral_code) if referral_code else None
    try:
        with transaction.atomic():
            customer = Customer.objects.create(
                tenant=tenant,
                phone=e164(phone),
                external_ref=(external_ref or "").strip() or None,
                channel=channel,
                attributes=attributes or {},
                referral_code=new_referral_code(tenant=tenant),
                device_id=(device_id or "").strip()[:128],
            )
            if referrer is not None:
                record_referral(tenant=tenant, referrer=referrer, referee=customer)
            publish(tenant=tenant, event_type=WebhookEventType.CUSTOMER_ENROLLED, payload=customer_payload(customer))
            return customer
    except IntegrityError:
        raise CustomerExistsError(details={"phone": phone, "external_ref": external_ref}) from None


def update_customer(
    *,
    tenant: Tenant,
    customer_id: int,
    status: str | None = None,
    attributes: dict[str, Any] | None = None,
    external_ref: str | None = None,
) -> Customer:
    """Suspend, reactivate or opt a customer out; replace their attributes; set their external reference."""
    with transaction.atomic():
        customer = customer_of(tenant=tenant, customer_id=customer_id)
        fields: list[str] = []
        if status is not None:
            if status not in CustomerStatus.values:
                raise LoyaltyInputError(details={"status": [f"One of: {', '.join(CustomerStatus.values)}."]})
            customer.status, fields = status, [*fields, "status"]
        if attributes is not None:
            customer.attributes, fields = attributes, [*fields, "attributes"]
        if external_ref is not None:
            customer.external_ref, fields = external_ref.strip() or None, [*fields, "external_ref"]
        if fields:
            try:
                with transaction.atomic():
                    customer.save(update_fields=[*fields, "updated_at"])
            except IntegrityError:
                raise CustomerExistsError(details={"external_ref": external_ref}) from None
    return customer
