from typing import Any

from rest_framework import serializers

from billpay.models import Beneficiary, Biller, BillOrder, BillVariation, CategoryCode
from core.fields import AmountField

SERVICE_ID = r"^[a-z0-9]+(-[a-z0-9]+)*$"
# Digits, with a leading "+" for a phone in E.164: a phone (local or E.164), meter, smartcard or candidate number.
CUSTOMER_ID = r"^\+?[0-9]{6,20}$"
ACCOUNT_ID = r"^[0-9]{6,20}$"


class ServiceField(serializers.RegexField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "A service's `id` from `bills/services/` (`mtn`, `ikeja-electric-prepaid`).")
        super().__init__(SERVICE_ID, max_length=80, **kwargs)


class BillServiceSerializer(serializers.ModelSerializer[Biller]):
    id = serializers.CharField(
        source="slug", max_length=80, help_text="Stable: `mtn`, `ikeja-electric-prepaid`, `dstv`."
    )
    category = serializers.ChoiceField(source="category.code", choices=CategoryCode.choices)
    min_amount = serializers.CharField(allow_null=True, help_text="Null: no minimum; a plan fixes the price.")
    max_amount = serializers.CharField(allow_null=True)
    has_variations = serializers.BooleanField(help_text="Sold as plans or bouquets (`…/variations/`).")
    needs_verification = serializers.BooleanField(help_text="A meter or smartcard to check with `bills/verify/`.")

    class Meta:
        model = Biller
        fields = ["id", "name", "category", "currency", "min_amount", "max_amount", "has_variations"]
        fields += ["needs_verification"]


class BillVariationSerializer(serializers.ModelSerializer[BillVariation]):
    amount = serializers.CharField(help_text="The price the provider fixes.")

    class Meta:
        model = BillVariation
        fields = ["code", "name", "amount"]


class VerifyInputSerializer(serializers.Serializer[Any]):
    service = ServiceField()
    customer_id = serializers.RegexField(ACCOUNT_ID, max_length=20, help_text="The meter or smartcard number.")


class VerifiedCustomerSerializer(serializers.Serializer[Any]):
    customer_id = serializers.CharField()
    customer_name = serializers.CharField()
    details = serializers.DictField(
        help_text="What the biller tells: `address`, the meter type; for TV the current bouquet and due date."
    )


class _PurchaseInputSerializer(serializers.Serializer[Any]):
    amount = AmountField(
        required=False, help_text='For airtime and electricity, e.g. "1500.00"; a plan\'s price otherwise.'
    )
    variation = serializers.CharField(
        max_length=100, required=False, help_text="A plan's or bouquet's `code` (data, TV, education)."
    )


class OrderInputSerializer(_PurchaseInputSerializer):
    service = ServiceField()
    customer_id = serializers.RegexField(
        CUSTOMER_ID,
        max_length=21,
        help_text="The phone to top up (E.164 or local, e.g. 08011111111), or the meter or smartcard number.",
    )


class BuyAgainInputSerializer(_PurchaseInputSerializer):
    pass


class BillOrderSerializer(serializers.ModelSerializer[BillOrder]):
    status = serializers.ChoiceField(
        source="outcome",
        choices=["pending", "delivered", "failed", "reversed"],
        help_text="`failed` and `reversed` orders have their money back in the wallet (`refunded`).",
    )
    service = serializers.CharField(source="biller.slug", max_length=80)
    service_name = serializers.CharField(source="biller.name")
    category = serializers.ChoiceField(source="biller.category.code", choices=CategoryCode.choices)
    variation = serializers.CharField(source="variation.code", allow_null=True, default=None)
    amount = serializers.CharField()
    refunded = serializers.BooleanField()
    token = serializers.CharField(
        max_length=255, help_text="Electricity (prepaid) and exam PINs, once delivered; else empty."
    )

    class Meta:
        model = BillOrder
        fields = ["id", "status", "service", "service_name", "category", "variation", "customer_id"]
        fields += ["customer_name", "amount", "currency", "request_id", "token", "units", "refunded"]
        fields += ["created_at", "delivered_at"]


class ReceiptSerializer(serializers.Serializer[Any]):
    receipt_number = serializers.UUIDField()
    status = serializers.CharField()
    refunded = serializers.BooleanField()
    service = serializers.CharField()
    service_name = serializers.CharField()
    category = serializers.CharField()
    plan = serializers.CharField()
    customer_id = serializers.CharField()
    customer_name = serializers.CharField()
    amount = serializers.CharField()
    currency = serializers.CharField()
    token = serializers.CharField()
    units = serializers.CharField()
    request_id = serializers.CharField()
    provider_reference = serializers.CharField()
    paid_from = serializers.CharField()
    created_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)


class BeneficiarySerializer(serializers.ModelSerializer[Beneficiary]):
    service = serializers.CharField(source="biller.slug", max_length=80)
    service_name = serializers.CharField(source="biller.name")
    category = serializers.ChoiceField(source="biller.category.code", choices=CategoryCode.choices)
    customer_id = serializers.CharField(source="number", max_length=32)

    class Meta:
        model = Beneficiary
        fields = ["id", "label", "service", "service_name", "category", "customer_id", "created_at"]


class BeneficiaryInputSerializer(serializers.Serializer[Any]):
    # a declared field, taken out of the class by DRF's metaclass; the stubs see Field's own `label` attribute
    label = serializers.CharField(max_length=80, help_text='"Mum\'s phone", "Shop meter".')  # type: ignore[assignment]
    service = ServiceField()
    customer_id = serializers.RegexField(CUSTOMER_ID, max_length=21)


class BeneficiaryChangeSerializer(serializers.Serializer[Any]):
    label = serializers.CharField(max_length=80, required=False)  # type: ignore[assignment]


class SandboxCompleteInputSerializer(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=["delivered", "failed", "reversed"])
