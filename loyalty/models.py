"""Merchant loyalty: tenants (businesses) and their staff and API keys, customers, events, rules, rewards, budgets,
campaigns and the issuances rules create.

Every table but `Tenant` carries `tenant`, and on PostgreSQL every one of them (Tenant by its own id) is behind
row-level security, enabled and forced, on `app.tenant_id` set per transaction (`loyalty/tenancy.py`; the policies
are in migration 0002). Uniqueness is always scoped by tenant: a constraint check ignores row security, so a global
unique key would tell one tenant that another has a phone number or a code. Constraints hold in the database
(unique, check, foreign keys) as well as in the services.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from config.encryption import EncryptedTextField
from core.model_fields import MONEY
from core.money import CURRENCY_CHOICES
from core.phone_numbers import validate_e164


class Tenant(models.Model):
    """A business running a loyalty programme. Its settings shape every rule's evaluation (currency, zone)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    display_name = models.CharField(max_length=120, blank=True, default="", help_text="Shown to customers.")
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    time_zone = models.CharField(max_length=64, default="Africa/Harare")
    auto_enrol = models.BooleanField(default=True, help_text="An event for an unknown phone enrols the customer.")
    points_validity_days = models.PositiveIntegerField(default=365, help_text="Points expire this long after earning.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(points_validity_days__gte=1), name="loyalty_tenant_validity_positive")
        ]

    def __str__(self) -> str:
        return self.name


class TenantScoped(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class StaffRole(models.TextChoices):
    ADMIN = "admin", "Admin (everything, staff and API keys)"
    MANAGER = "manager", "Manager (campaigns, rules, rewards, budgets, customers)"
    VIEWER = "viewer", "Viewer (read-only)"


class TenantStaff(TenantScoped):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="loyalty_roles")
    role = models.CharField(max_length=10, choices=StaffRole.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "tenant staff"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="loyalty_staff_once"),
            models.CheckConstraint(condition=Q(role__in=StaffRole.values), name="loyalty_staff_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} of {self.tenant_id}"


class ApiKey(TenantScoped):
    """A server-to-server integrator's key. The secret signs each request (HMAC-SHA256), so the server must be able
    to compute the same HMAC: it is kept encrypted at rest (never hashed, which would make verification impossible)
    and shown once, at creation. At most two keys are active per tenant, so one can be rotated without downtime."""

    key_id = models.CharField(max_length=40, unique=True, help_text="Public: sent as X-Api-Key.")
    secret = EncryptedTextField(help_text="Encrypted at rest.")
    name = models.CharField(max_length=80, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.key_id


class CustomerStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    OPTED_OUT = "opted_out", "Opted out"


class Channel(models.TextChoices):
    API = "api", "API"
    STAFF = "staff", "Staff"
    WHATSAPP = "whatsapp", "WhatsApp"
    USSD = "ussd", "USSD"
    WEB = "web", "Web"


class Customer(TenantScoped):
    phone = models.CharField(max_length=16, validators=[validate_e164])
    # NULL, not "": the reference is unique per tenant where given, and most customers have none
    external_ref = models.CharField(max_length=80, null=True, blank=True)  # noqa: DJ001
    status = models.CharField(max_length=12, choices=CustomerStatus.choices, default=CustomerStatus.ACTIVE)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.API)
    attributes = models.JSONField(default=dict, blank=True, help_text="What rules may read as customer.attributes.")
    points = models.BigIntegerField(default=0, help_text="The balance of `PointsEntry` rows, kept in step with them.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "phone"], name="loyalty_customer_phone_once"),
            models.UniqueConstraint(
                fields=["tenant", "external_ref"],
                condition=Q(external_ref__isnull=False),
                name="loyalty_customer_ref_once",
            ),
            models.CheckConstraint(condition=Q(status__in=CustomerStatus.values), name="loyalty_customer_status"),
            models.CheckConstraint(condition=Q(points__gte=0), name="loyalty_customer_points_not_negative"),
        ]

    def __str__(self) -> str:
        return self.phone


class Event(TenantScoped):
    """What a till or app told us happened. `answer` keeps the first response, replayed for the same key."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="events")
    event_type = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=128)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    answer = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "idempotency_key"], name="loyalty_event_key_once"),
        ]
        indexes = [
            # the feature query: this customer's events of some types in a window
            models.Index(fields=["tenant", "customer", "event_type", "occurred_at"], name="loyalty_event_feature_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.idempotency_key}"


class CampaignStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    ENDED = "ended", "Ended"


class Campaign(TenantScoped):
    """A named set of rules and rewards; pausing it pauses its rules."""

    name = models.CharField(max_length=120)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(status__in=CampaignStatus.values), name="loyalty_campaign_status"),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True) | Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="loyalty_campaign_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class BudgetPeriod(models.TextChoices):
    NONE = "none", "None (one total)"
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"


class Budget(TenantScoped):
    """What rewards may cost. The money is in the ledger (payments): top-ups move it from the tenant's funding
    account into this budget's guarded account; an issuance reserves its cost into the budget's reserved account,
    a redemption charges it to the spent account, an expiry or cancellation releases it back. `total_amount` caps
    what may be reserved or spent per period (all time for `none`)."""

    name = models.CharField(max_length=120)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    total_amount = models.DecimalField(**MONEY)
    period = models.CharField(max_length=10, choices=BudgetPeriod.choices, default=BudgetPeriod.NONE)
    hard_cap = models.BooleanField(default=True, help_text="Refuse an issuance over the cap (else issue and alert).")
    soft_cap_threshold = models.DecimalField(
        **MONEY, null=True, blank=True, help_text="Alert once per period when what is used reaches this."
    )
    alerted_period = models.DateTimeField(null=True, blank=True, help_text="The period start of the last alert.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(total_amount__gte=0), name="loyalty_budget_total_not_negative"),
            models.CheckConstraint(condition=Q(period__in=BudgetPeriod.values), name="loyalty_budget_period"),
            models.CheckConstraint(
                condition=Q(soft_cap_threshold__isnull=True) | Q(soft_cap_threshold__gte=0),
                name="loyalty_budget_threshold_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RewardType(models.TextChoices):
    DISCOUNT = "discount", "Discount"
    VOUCHER = "voucher", "Voucher (a code from a pool)"
    POINTS = "points", "Points"
    ITEM = "item", "Physical item"


class DiscountKind(models.TextChoices):
    NONE = "", "Not a discount"
    PERCENT = "percent", "Percent"
    AMOUNT = "amount", "Amount"


class Reward(TenantScoped):
    name = models.CharField(max_length=120)
    reward_type = models.CharField(max_length=10, choices=RewardType.choices)
    discount_kind = models.CharField(max_length=10, choices=DiscountKind.choices, blank=True, default="")
    value = models.DecimalField(**MONEY, help_text="The discount (percent or amount), or the points.")
    cost = models.DecimalField(**MONEY, help_text="What one issuance costs the budget.")
    budget = models.ForeignKey(Budget, on_delete=models.PROTECT, related_name="rewards")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="rewards")
    validity_days = models.PositiveIntegerField(null=True, blank=True, help_text="Issued rewards expire after this.")
    terms = models.TextField(blank=True, default="")
    stock = models.PositiveIntegerField(null=True, blank=True, help_text="Items left (physical items).")
    low_stock_threshold = models.PositiveIntegerField(default=10, help_text="Alert when codes or stock fall to this.")
    low_stock_alerted_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(reward_type__in=RewardType.values), name="loyalty_reward_type"),
            models.CheckConstraint(condition=Q(value__gte=0) & Q(cost__gte=0), name="loyalty_reward_not_negative"),
            models.CheckConstraint(
                condition=~Q(reward_type=RewardType.DISCOUNT) | ~Q(discount_kind=""),
                name="loyalty_reward_discount_has_kind",
            ),
            models.CheckConstraint(
                condition=~Q(discount_kind=DiscountKind.PERCENT) | Q(value__lte=100),
                name="loyalty_reward_percent_at_most_100",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class VoucherCode(TenantScoped):
    """One code of a voucher reward's pool; issued at most once (the issuance holds it)."""

    reward = models.ForeignKey(Reward, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(max_length=64)
    issued_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "reward", "code"], name="loyalty_code_once")]
        indexes = [models.Index(fields=["reward", "issued_at"], name="loyalty_code_free_idx")]

    def __str__(self) -> str:
        return self.code


class Rule(TenantScoped):
    """When to issue a reward. `conditions` is JsonLogic, validated and compiled on save; `version` goes up with
    every change, so the compiled form cached per process is never stale."""

    name = models.CharField(max_length=120)
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="rules")
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="rules")
    conditions = models.JSONField()
    priority = models.IntegerField(default=100, help_text="Lower runs first.")
    caps = models.JSONField(default=dict, blank=True, help_text='{"per_customer": {"count", "period"}, "global": …}')
    cooldown_seconds = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)
    stop_processing = models.BooleanField(default=False, help_text="No rule after this one runs once it matched.")
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["priority", "id"]
        indexes = [models.Index(fields=["tenant", "active", "priority"], name="loyalty_rule_active_idx")]

    def __str__(self) -> str:
        return self.name


class IssuanceState(models.TextChoices):
    RESERVED = "reserved", "Reserved"
    ISSUED = "issued", "Issued"
    REDEEMED = "redeemed", "Redeemed"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"


class Issuance(TenantScoped):
    """A reward given to a customer. Its cost is reserved from the budget when issued, charged on redemption,
    released on expiry or cancellation; every transition is an `IssuanceTransition`."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="issuances")
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="issuances")
    rule = models.ForeignKey(Rule, null=True, blank=True, on_delete=models.SET_NULL, related_name="issuances")
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.PROTECT, related_name="issuances")
    state = models.CharField(max_length=10, choices=IssuanceState.choices, default=IssuanceState.RESERVED)
    cost = models.DecimalField(**MONEY)
    code = models.CharField(max_length=64, blank=True, default="", help_text="The voucher code, if any.")
    voucher = models.OneToOneField(
        VoucherCode, null=True, blank=True, on_delete=models.PROTECT, related_name="issuance"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=IssuanceState.values), name="loyalty_issuance_state"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="loyalty_issuance_cost_not_negative"),
        ]
        indexes = [
            # caps and cooldowns: a rule's issuances (to a customer) since a moment
            models.Index(fields=["tenant", "rule", "customer", "created_at"], name="loyalty_issuance_cap_idx"),
            models.Index(fields=["tenant", "state", "expires_at"], name="loyalty_issuance_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reward_id} → {self.customer_id} ({self.state})"


class IssuanceTransition(TenantScoped):
    issuance = models.ForeignKey(Issuance, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=10, blank=True, default="")
    to_state = models.CharField(max_length=10, choices=IssuanceState.choices)
    actor = models.CharField(max_length=80, help_text="user:<id>, api_key:<key id>, rule:<id> or job:<name>.")
    reason = models.CharField(max_length=255, blank=True, default="")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state or '-'} → {self.to_state}"


class PointsEntry(TenantScoped):
    """Points earned (positive) or spent or expired (negative). The customer's `points` is their sum."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="points_entries")
    amount = models.BigIntegerField()
    issuance = models.ForeignKey(Issuance, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=120)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "points entries"
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="loyalty_points_entry_not_zero")]

    def __str__(self) -> str:
        return f"{self.amount:+} {self.reason}"
