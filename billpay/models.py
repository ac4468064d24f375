"""Bill payments: the catalog synced from the provider (categories, billers, variations), orders, beneficiaries,
and the VTPass sandbox's own records. Invariants live in the database (unique, check, foreign keys)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.model_fields import MONEY


class CategoryCode(models.TextChoices):
    AIRTIME = "airtime", "Airtime"
    DATA = "data", "Data"
    ELECTRICITY = "electricity", "Electricity"
    TV = "tv", "TV"
    EDUCATION = "education", "Education"


# Where the customer number is an account the biller can look up (meter, smartcard) before paying.
VERIFIED_CATEGORIES = frozenset({CategoryCode.ELECTRICITY, CategoryCode.TV})


class MeterType(models.TextChoices):
    NONE = "", "None"
    PREPAID = "prepaid", "Prepaid"
    POSTPAID = "postpaid", "Postpaid"


class BillCategory(models.Model):
    code = models.CharField(max_length=20, choices=CategoryCode.choices, unique=True)
    name = models.CharField(max_length=100)
    provider_identifier = models.CharField(max_length=50, blank=True, default="")  # VTPass: "electricity-bill", ...
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name_plural = "bill categories"

    def __str__(self) -> str:
        return self.name


class Biller(models.Model):
    """One thing a customer can buy: MTN airtime, Ikeja Electric prepaid, DStv. `slug` is our stable public id;
    `service_id` (and for electricity `meter_type`) is how the provider knows it. Never deleted: a service the
    provider dropped becomes inactive."""

    slug = models.SlugField(max_length=80, unique=True)
    service_id = models.CharField(max_length=80)
    meter_type = models.CharField(max_length=10, choices=MeterType.choices, blank=True, default="")
    name = models.CharField(max_length=150)
    category = models.ForeignKey(BillCategory, on_delete=models.PROTECT, related_name="billers")
    currency = models.CharField(max_length=3, default="NGN")
    min_amount = models.DecimalField(**MONEY, null=True, blank=True)
    max_amount = models.DecimalField(**MONEY, null=True, blank=True)
    convenience_fee = models.DecimalField(**MONEY, default=0)
    product_type = models.CharField(max_length=20, blank=True, default="")  # VTPass: "flexible" or "fix"
    image = models.URLField(max_length=500, blank=True, default="")
    active = models.BooleanField(default=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["category__position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["service_id", "meter_type"], name="billpay_biller_service_unique"),
            models.CheckConstraint(
                condition=Q(min_amount__isnull=True) | Q(min_amount__gte=0), name="billpay_biller_min_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(min_amount__isnull=True) | Q(max_amount__isnull=True) | Q(max_amount__gte=F("min_amount")),
                name="billpay_biller_max_at_least_min",
            ),
            models.CheckConstraint(condition=Q(convenience_fee__gte=0), name="billpay_biller_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def needs_verification(self) -> bool:
        return self.category.code in VERIFIED_CATEGORIES


class BillVariation(models.Model):
    """A data plan, a TV bouquet, an exam PIN: a product of a biller, at the provider's price."""

    biller = models.ForeignKey(Biller, on_delete=models.PROTECT, related_name="variations")
    code = models.CharField(max_length=100)
    name = models.CharField(max_length=255)
    amount = models.DecimalField(**MONEY)
    fixed_price = models.BooleanField(default=True)
    active = models.BooleanField(default=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["biller_id", "amount", "code"]
        constraints = [
            models.UniqueConstraint(fields=["biller", "code"], name="billpay_variation_unique"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="billpay_variation_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.biller.slug}:{self.code}"


class OrderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    REFUNDED = "refunded", "Refunded"
    REVERSED = "reversed", "Reversed"


class BillOrder(models.Model):
    """A purchase from the wallet. `request_id` is the provider's idempotency key: the same one is re-sent on every
    requery; only a definite "no such request" (VTPass 015) lets one more attempt go out under a new one. The ledger
    transactions are filled in by the order flow (billpay/services/orders.py): `debit_transaction` wallet → in
    flight, `settle_transaction` in flight → provider clearing, `refund_transaction` back to the wallet (from in
    flight after a failure, from clearing after a reversal)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bill_orders")
    biller = models.ForeignKey(Biller, on_delete=models.PROTECT, related_name="orders")
    variation = models.ForeignKey(BillVariation, null=True, blank=True, on_delete=models.PROTECT, related_name="orders")
    customer_id = models.CharField(max_length=32, help_text="Phone (airtime, data), meter or smartcard number.")
    phone = models.CharField(max_length=20, blank=True, default="", help_text="The customer's phone, E.164.")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, default="NGN")
    commission = models.DecimalField(**MONEY, default=0)
    status = models.CharField(max_length=16, choices=OrderStatus.choices, default=OrderStatus.PENDING)
    provider = models.CharField(max_length=32, help_text="The bill provider's code (its in-flight account's code).")
    request_id = models.CharField(max_length=64, unique=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Purchases sent (a second only after 015).")
    checks = models.PositiveSmallIntegerField(default=0, help_text="Answers while pending, then reversal checks.")
    next_check_at = models.DateTimeField(null=True, blank=True, help_text="When the requery job next asks.")
    token = models.CharField(max_length=255, blank=True, default="")
    units = models.CharField(max_length=64, blank=True, default="")
    customer_name = models.CharField(max_length=255, blank=True, default="")
    provider_response = models.JSONField(default=dict, blank=True)
    debit_transaction = models.OneToOneField(
        "payments.LedgerTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="bill_order_debit"
    )
    settle_transaction = models.OneToOneField(
        "payments.LedgerTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="bill_order_settle"
    )
    refund_transaction = models.OneToOneField(
        "payments.LedgerTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="bill_order_refund"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    flagged_at = models.DateTimeField(null=True, blank=True, help_text="Set when staff must look at this order.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="billpay_order_user_idx"),
            models.Index(fields=["status", "updated_at"], name="billpay_order_status_idx"),
            models.Index(fields=["status", "next_check_at"], name="billpay_order_check_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="billpay_order_amount_positive"),
            models.CheckConstraint(condition=Q(commission__gte=0), name="billpay_order_commission_not_negative"),
            models.CheckConstraint(condition=Q(status__in=OrderStatus.values), name="billpay_order_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.biller_id} {self.customer_id} {self.amount} ({self.status})"

    @property
    def outcome(self) -> str:
        """What the customer is told: `pending`, `delivered`, `failed` (never delivered; the money came back) or
        `reversed` (delivered, then undone by the provider; the money came back)."""
        return PUBLIC_STATUS[OrderStatus(self.status)]

    @property
    def refunded(self) -> bool:
        return self.refund_transaction_id is not None


PUBLIC_STATUS = {
    OrderStatus.PENDING: "pending",
    OrderStatus.DELIVERED: "delivered",
    OrderStatus.FAILED: "failed",
    OrderStatus.REFUNDED: "failed",
    OrderStatus.REVERSED: "reversed",
}


class Beneficiary(models.Model):
    """A number a user pays often (mum's phone, the shop's meter), with a label."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bill_beneficiaries")
    label = models.CharField(max_length=80)
    biller = models.ForeignKey(Biller, on_delete=models.PROTECT, related_name="beneficiaries")
    number = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["label"]
        verbose_name_plural = "beneficiaries"
        constraints = [
            models.UniqueConstraint(fields=["user", "biller", "number"], name="billpay_beneficiary_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.number})"


class SandboxBillTransaction(models.Model):
    """The VTPass sandbox's own state for a purchase it was asked to make (development only)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        REVERSED = "reversed", "Reversed"

    request_id = models.CharField(max_length=64, unique=True)
    transaction_id = models.CharField(max_length=40, unique=True)
    service_id = models.CharField(max_length=80)
    billers_code = models.CharField(max_length=32, blank=True, default="")
    variation_code = models.CharField(max_length=100, blank=True, default="")
    phone = models.CharField(max_length=20, blank=True, default="")
    amount = models.DecimalField(**MONEY)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    details = models.JSONField(default=dict, blank=True)  # token, units, customer name: what the answer carries
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="billpay_sandbox_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"sandbox vtpass {self.request_id} ({self.status})"
