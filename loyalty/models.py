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


class TierBasis(models.TextChoices):
    POINTS = "points", "Points earned in the period"
    SPEND = "spend", "Spend in the period (the events' amount)"


class TierDowngrade(models.TextChoices):
    NEVER = "never", "Never (a tier once reached is kept)"
    IMMEDIATE = "immediate", "As soon as the period's total falls below"
    GRACE = "grace", "After the grace days below"


class Tenant(models.Model):
    """A business running a loyalty programme. Its settings shape every rule's evaluation (currency, zone)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    display_name = models.CharField(max_length=120, blank=True, default="", help_text="Shown to customers.")
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    time_zone = models.CharField(max_length=64, default="Africa/Harare")
    auto_enrol = models.BooleanField(default=True, help_text="An event for an unknown phone enrols the customer.")
    points_validity_days = models.PositiveIntegerField(default=365, help_text="Points expire this long after earning.")
    # The channels: which WhatsApp number and which USSD code reach this tenant. Unique across tenants, because an
    # inbound message or dial names only the number or the code.
    whatsapp_phone_number_id = models.CharField(
        max_length=32, null=True, blank=True, unique=True, help_text="The WhatsApp Cloud API phone-number id."
    )
    ussd_service_code = models.CharField(
        max_length=32, null=True, blank=True, unique=True, help_text='The USSD code customers dial, e.g. "*384*12#".'
    )
    tier_basis = models.CharField(max_length=10, choices=TierBasis.choices, default=TierBasis.POINTS)
    tier_period_days = models.PositiveIntegerField(default=365, help_text="The rolling period tiers are earned over.")
    tier_downgrade = models.CharField(max_length=10, choices=TierDowngrade.choices, default=TierDowngrade.GRACE)
    tier_grace_days = models.PositiveIntegerField(default=30, help_text="Below a tier this long before dropping.")
    referral_reward = models.ForeignKey(
        "Reward",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Given to both sides on the referee's first qualifying event; no reward, no referrals.",
    )
    referral_event_type = models.CharField(max_length=64, default="purchase")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(points_validity_days__gte=1), name="loyalty_tenant_validity_positive"),
            models.CheckConstraint(condition=Q(tier_period_days__gte=1), name="loyalty_tenant_tier_period_positive"),
            models.CheckConstraint(condition=Q(tier_basis__in=TierBasis.values), name="loyalty_tenant_tier_basis"),
            models.CheckConstraint(
                condition=Q(tier_downgrade__in=TierDowngrade.values), name="loyalty_tenant_tier_downgrade"
            ),
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
    tier = models.ForeignKey("Tier", null=True, blank=True, on_delete=models.SET_NULL, related_name="customers")
    tier_since = models.DateTimeField(null=True, blank=True)
    below_tier_since = models.DateTimeField(null=True, blank=True, help_text="When the total fell below the tier.")
    language = models.CharField(max_length=5, default="en", help_text="Chosen on WhatsApp or USSD.")
    # NULL, not "": unique per tenant where given
    referral_code = models.CharField(max_length=16, null=True, blank=True)  # noqa: DJ001
    device_id = models.CharField(max_length=128, blank=True, default="", help_text="Seen at enrolment (referrals).")
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
            models.UniqueConstraint(
                fields=["tenant", "referral_code"],
                condition=Q(referral_code__isnull=False),
                name="loyalty_customer_referral_code_once",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "created_at"], name="loyalty_customer_joined_idx")]

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
            # analytics: a tenant's events per day
            models.Index(fields=["tenant", "occurred_at"], name="loyalty_event_day_idx"),
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
            models.Index(fields=["tenant", "created_at"], name="loyalty_issuance_day_idx"),
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
        indexes = [models.Index(fields=["tenant", "to_state", "at"], name="loyalty_transition_day_idx")]

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


# --- part 2: tiers, referrals, consent, channels, outbound webhooks, analytics ------------------------------------


class Tier(TenantScoped):
    """A level a customer reaches by points earned or money spent in the tenant's rolling period
    (`Tenant.tier_basis`, `tier_period_days`); the highest threshold reached wins. Rules read it as
    `customer.tier` (the name) and `customer.tier_rank` (0 for none, then 1, 2, … by threshold)."""

    name = models.CharField(max_length=60)
    threshold = models.DecimalField(**MONEY, help_text="Points, or spend in the tenant's currency, to reach it.")
    benefits = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["threshold"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="loyalty_tier_name_once"),
            models.UniqueConstraint(fields=["tenant", "threshold"], name="loyalty_tier_threshold_once"),
            models.CheckConstraint(condition=Q(threshold__gt=0), name="loyalty_tier_threshold_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class TierChange(TenantScoped):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tier_changes")
    from_tier = models.ForeignKey(Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    to_tier = models.ForeignKey(Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    total = models.DecimalField(**MONEY, help_text="The period's points or spend when it changed.")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.from_tier_id} → {self.to_tier_id}"


class ReferralStatus(models.TextChoices):
    PENDING = "pending", "Pending (waiting for the referee's first qualifying event)"
    REWARDED = "rewarded", "Rewarded"
    REFUSED = "refused", "Refused"


class Referral(TenantScoped):
    """One customer brought by another's code. Rewarded at most once (the referee is unique, and the move from
    pending is made under the row's lock)."""

    referrer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="referrals_made")
    referee = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="referrals_received")
    status = models.CharField(max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.PENDING)
    reason = models.CharField(max_length=120, blank=True, default="")
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    rewarded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "referee"], name="loyalty_referral_referee_once"),
            models.CheckConstraint(condition=~Q(referrer=models.F("referee")), name="loyalty_referral_not_self"),
            models.CheckConstraint(condition=Q(status__in=ReferralStatus.values), name="loyalty_referral_status"),
        ]

    def __str__(self) -> str:
        return f"{self.referrer_id} → {self.referee_id} ({self.status})"


class ConsentChannel(models.TextChoices):
    WHATSAPP = "whatsapp", "WhatsApp"
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"


class ConsentRecord(TenantScoped):
    """A customer's marketing opt-in or opt-out on one channel, when and how it was given. Append-only: the latest
    record per channel is the customer's choice, and no record means no consent."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(max_length=10, choices=ConsentChannel.choices)
    granted = models.BooleanField()
    source = models.CharField(max_length=40, help_text='Where: "whatsapp", "ussd", "api", "staff:<user id>", …')
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(channel__in=ConsentChannel.values), name="loyalty_consent_channel")
        ]
        indexes = [
            models.Index(fields=["tenant", "customer", "channel", "-recorded_at"], name="loyalty_consent_latest_idx")
        ]

    def __str__(self) -> str:
        return f"{self.channel} {'in' if self.granted else 'out'}"


class WhatsAppConversation(TenantScoped):
    """One WhatsApp user talking to one tenant's number: where the conversation stands, and when they last wrote
    (free text may be sent for 24 hours after; later only approved templates)."""

    wa_id = models.CharField(max_length=20, help_text="The user's WhatsApp id (their number, digits only).")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(max_length=32, default="idle")
    context = models.JSONField(default=dict, blank=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "wa_id"], name="loyalty_whatsapp_conversation_once")]

    def __str__(self) -> str:
        return self.wa_id


class MessageDirection(models.TextChoices):
    INBOUND = "in", "Inbound"
    OUTBOUND = "out", "Outbound"


class WhatsAppMessage(TenantScoped):
    """Every message in and out. Inbound ones are unique by WhatsApp's message id, so a repeated delivery is
    skipped; outbound ones record what was sent (or, in the sandbox, what would have been) and why not, if not."""

    conversation = models.ForeignKey(WhatsAppConversation, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=3, choices=MessageDirection.choices)
    # NULL, not "": unique per tenant where known
    wamid = models.CharField(max_length=128, null=True, blank=True)  # noqa: DJ001
    kind = models.CharField(max_length=12, default="text", help_text="text, template, interactive, …")
    body = models.TextField(blank=True, default="")
    template = models.CharField(max_length=80, blank=True, default="")
    status = models.CharField(max_length=12, help_text="received, sent, sandbox, refused, failed, delivered, read")
    error = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "wamid"], condition=Q(wamid__isnull=False), name="loyalty_whatsapp_message_once"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=MessageDirection.values), name="loyalty_whatsapp_message_direction"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.wamid or self.pk}"


class UssdSession(TenantScoped):
    """One dial: the gateway's session id, the menu the caller stands on and what they picked so far. Africa's
    Talking resends the whole input (`1*2*3`) each time; the state here is what makes back and home keys work."""

    session_id = models.CharField(max_length=100)
    phone = models.CharField(max_length=16)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    language = models.CharField(max_length=5, default="en")
    screen = models.CharField(max_length=32, default="home")
    stack = models.JSONField(default=list, blank=True, help_text="The screens behind this one (the back key).")
    context = models.JSONField(default=dict, blank=True)
    inputs_seen = models.PositiveIntegerField(default=0, help_text="How many `*`-joined inputs are consumed.")
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "session_id"], name="loyalty_ussd_session_once")]

    def __str__(self) -> str:
        return self.session_id


class WebhookEventType(models.TextChoices):
    CUSTOMER_ENROLLED = "customer.enrolled", "customer.enrolled"
    REWARD_ISSUED = "reward.issued", "reward.issued"
    REWARD_REDEEMED = "reward.redeemed", "reward.redeemed"
    REWARD_EXPIRED = "reward.expired", "reward.expired"
    BUDGET_THRESHOLD = "budget.threshold", "budget.threshold"
    VOUCHER_LOW_STOCK = "voucher.low_stock", "voucher.low_stock"


class WebhookEndpoint(TenantScoped):
    """Where a tenant wants to hear what happened, signed per Standard Webhooks v1 with `secret` (and, for a while
    after a rotation, `previous_secret` too). A 410 answer or staff disable it."""

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=120, blank=True, default="")
    events = models.JSONField(default=list, help_text="The event types it wants.")
    secret = EncryptedTextField(help_text="whsec_…; encrypted at rest.")
    previous_secret = EncryptedTextField(blank=True, default="")
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=120, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url


class WebhookMessage(TenantScoped):
    """One thing that happened, once, whatever the number of endpoints: `msg_id` is the `webhook-id` every
    endpoint and every retry sees."""

    msg_id = models.CharField(max_length=40, unique=True)
    event_type = models.CharField(max_length=40, choices=WebhookEventType.choices)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.msg_id}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending (an attempt is due)"
    SUCCEEDED = "succeeded", "Succeeded"
    DEAD = "dead", "Dead (the retries ran out, or the endpoint is gone)"


class EndpointDelivery(TenantScoped):
    """A message on its way to one endpoint: attempts so far, when the next is due, the last answer."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True, default="")
    succeeded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "endpoint deliveries"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "message"], name="loyalty_delivery_once"),
            models.CheckConstraint(condition=Q(state__in=DeliveryState.values), name="loyalty_delivery_state"),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="loyalty_delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.endpoint_id} ({self.state})"


class DeliveryAttempt(TenantScoped):
    delivery = models.ForeignKey(EndpointDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=255, blank=True, default="")
    trigger = models.CharField(max_length=12, default="schedule", help_text="schedule or redeliver")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"#{self.number} {self.status_code or self.error}"


class DailyStats(TenantScoped):
    """One tenant's day (in its time zone), rolled up once the day is over: the analytics read these for past days
    and count today live. `top` holds the day's issuances and redemptions per rule and per reward."""

    day = models.DateField()
    events = models.PositiveIntegerField(default=0)
    new_customers = models.PositiveIntegerField(default=0)
    issuances = models.PositiveIntegerField(default=0)
    redemptions = models.PositiveIntegerField(default=0)
    budget_used = models.DecimalField(**MONEY, default=0)
    top = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "daily stats"
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["tenant", "day"], name="loyalty_daily_stats_once")]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.day}"
