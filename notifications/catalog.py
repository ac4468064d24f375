"""Every event Pamoja tells a user about: its category (what preferences switch), its type and priority (how the
apps show it), the channels it may use, its deep link, and an example context. The words live in `messages/<lang>.py`;
a test renders every event in every language from its example, so a missing translation fails CI."""

from dataclasses import dataclass, field

from django.db import models


class Category(models.TextChoices):
    SAVINGS = "savings", "Contributions, penalties and payouts"
    GROUPS = "groups", "Groups and meetings"
    LOANS = "loans", "Group loans"
    WALLET = "wallet", "Wallet"
    BILLS = "bills", "Bill payments"
    LOYALTY = "loyalty", "Loyalty"
    ACCOUNT = "account", "Account"
    SECURITY = "security", "Security (always sent)"


class Channel(models.TextChoices):
    IN_APP = "in_app", "In the app"
    PUSH = "push", "Push"
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"


class NotificationType(models.TextChoices):
    ACTION_REQUIRED = "action_required", "Action required"
    INFO = "info", "Info"
    SUCCESS = "success", "Success"


class Priority(models.TextChoices):
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"
    LOW = "low", "Low"


ALL = frozenset({Channel.IN_APP, Channel.PUSH, Channel.SMS, Channel.EMAIL})
NO_SMS = frozenset({Channel.IN_APP, Channel.PUSH, Channel.EMAIL})
EMAIL_ONLY = frozenset({Channel.EMAIL})
SMS_ONLY = frozenset({Channel.SMS})


@dataclass(frozen=True)
class Event:
    name: str
    category: Category
    type: NotificationType
    example: dict[str, str]
    channels: frozenset[Channel] = ALL
    priority: Priority = Priority.NORMAL
    link: str = ""  # a path in the app; `{key}` takes the context's value
    sealed: frozenset[str] = field(default_factory=frozenset)  # context keys kept encrypted, never shown to staff

    @property
    def always_sent(self) -> bool:
        """Security messages ignore preferences and quiet hours."""
        return self.category == Category.SECURITY


S, G, L, W, B, Y, A, X = (
    Category.SAVINGS,
    Category.GROUPS,
    Category.LOANS,
    Category.WALLET,
    Category.BILLS,
    Category.LOYALTY,
    Category.ACCOUNT,
    Category.SECURITY,
)
ACT, INFO, OK = NotificationType.ACTION_REQUIRED, NotificationType.INFO, NotificationType.SUCCESS
HIGH, LOW = Priority.HIGH, Priority.LOW

_GROUP = {"group": "Umoja Chama", "group_id": "4f1c2d3e-0000-4000-8000-000000000001"}
_MONEY = {"amount": "KES 1,000.00"}

EVENTS: dict[str, Event] = {
    event.name: event
    for event in (
        # savings
        Event(
            "contribution_due_soon",
            S,
            ACT,
            {**_GROUP, **_MONEY, "due_date": "2026-12-05", "cycle": "3"},
            link="/groups/{group_id}/contributions",
        ),
        Event(
            "contribution_due_today",
            S,
            ACT,
            {**_GROUP, **_MONEY, "due_date": "2026-12-05", "cycle": "3"},
            priority=HIGH,
            link="/groups/{group_id}/contributions",
        ),
        Event(
            "contribution_late",
            S,
            ACT,
            {**_GROUP, **_MONEY, "due_date": "2026-12-05", "cycle": "3"},
            priority=HIGH,
            link="/groups/{group_id}/contributions",
        ),
        Event(
            "contribution_paid",
            S,
            OK,
            {**_GROUP, **_MONEY, "cycle": "3"},
            channels=NO_SMS,
            link="/groups/{group_id}/contributions",
        ),
        Event(
            "penalty_charged",
            S,
            ACT,
            {**_GROUP, "amount": "KES 100.00", "reason": "Late contribution"},
            link="/groups/{group_id}/penalties",
        ),
        Event(
            "fine_levied",
            S,
            ACT,
            {**_GROUP, "amount": "KES 200.00", "reason": "Absent from the meeting"},
            link="/groups/{group_id}/penalties",
        ),
        Event(
            "payout_paid",
            S,
            OK,
            {**_GROUP, "amount": "KES 9,500.00", "fee": "KES 50.00", "deductions": "KES 0.00"},
            priority=HIGH,
            link="/wallet",
        ),
        Event(
            "payment_recorded",
            S,
            OK,
            {**_GROUP, **_MONEY, "method": "cash", "receipt": "RC-0042"},
            link="/groups/{group_id}/contributions",
        ),
        Event("cash_paid_out", S, INFO, {**_GROUP, **_MONEY, "receipt": "RC-0043"}, link="/groups/{group_id}/payouts"),
        Event(
            "payment_to_confirm",
            S,
            ACT,
            {**_GROUP, **_MONEY, "member": "Amina Wanjiru", "method": "cash"},
            channels=NO_SMS,
            link="/groups/{group_id}/recorded-payments",
        ),
        # groups
        Event(
            "group_invite",
            G,
            ACT,
            {**_GROUP, "inviter": "Amina Wanjiru", "invite_code": "K7P3QX9M"},
            link="/invites/{invite_code}",
        ),
        Event("group_started", G, INFO, {**_GROUP, "first_due_date": "2026-12-05"}, link="/groups/{group_id}"),
        Event("group_completed", G, OK, _GROUP, channels=NO_SMS, link="/groups/{group_id}"),
        Event(
            "group_cancelled",
            G,
            INFO,
            {**_GROUP, "reason": "It did not start within 30 days."},
            link="/groups/{group_id}",
        ),
        Event("group_inactive", G, ACT, {**_GROUP, "days": "60"}, channels=NO_SMS, link="/groups/{group_id}"),
        Event(
            "group_weekly_summary",
            G,
            INFO,
            {**_GROUP, "summary": "Collected KES 5,000.00 of KES 5,000.00."},
            channels=frozenset({Channel.IN_APP, Channel.EMAIL}),
            priority=LOW,
            link="/groups/{group_id}",
        ),
        Event(
            "meeting_scheduled",
            G,
            INFO,
            {**_GROUP, "meeting_at": "2026-12-05T17:00:00+03:00", "place": "Community hall"},
            link="/groups/{group_id}/meetings",
        ),
        # resolutions: spending the group's money by vote
        Event(
            "resolution_proposed",
            G,
            ACT,
            {
                **_GROUP,
                **_MONEY,
                "beneficiary": "Amina Wanjiru",
                "reason": "Her father's funeral.",
                "resolution_id": "7",
                "closes_at": "2026-12-05T17:00:00+03:00",
            },
            priority=HIGH,
            link="/groups/{group_id}/resolutions/{resolution_id}",
        ),
        Event(
            "resolution_passed",
            G,
            INFO,
            {**_GROUP, **_MONEY, "beneficiary": "Amina Wanjiru", "resolution_id": "7", "yes": "4", "no": "1"},
            channels=NO_SMS,
            link="/groups/{group_id}/resolutions/{resolution_id}",
        ),
        Event(
            "resolution_failed",
            G,
            INFO,
            {**_GROUP, **_MONEY, "beneficiary": "Amina Wanjiru", "resolution_id": "7", "yes": "1", "no": "1"},
            channels=NO_SMS,
            link="/groups/{group_id}/resolutions/{resolution_id}",
        ),
        Event(
            "resolution_paid",
            S,
            OK,
            {**_GROUP, **_MONEY, "resolution_id": "7"},
            priority=HIGH,
            link="/wallet",
        ),
        Event(
            "share_out_proposed",
            G,
            ACT,
            {
                **_GROUP,
                "reason": "We agreed to share out before school fees.",
                "resolution_id": "8",
                "closes_at": "2026-12-05T17:00:00+03:00",
            },
            priority=HIGH,
            link="/groups/{group_id}/resolutions/{resolution_id}",
        ),
        Event(
            "share_out_passed",
            G,
            INFO,
            {**_GROUP, "resolution_id": "8", "yes": "4", "no": "1"},
            channels=NO_SMS,
            link="/groups/{group_id}/resolutions/{resolution_id}",
        ),
        Event(
            "share_out_failed",
            G,
            INFO,
            {**_GROUP, "resolution_id": "8", "yes": "1", "no": "1"},
            channels=NO_SMS,
            link="/groups/{group_id}/resolutions/{resolution_id}",
        ),
        Event(
            "rules_proposed",
            G,
            ACT,
            {
                **_GROUP,
                "reason": "Fines for lateness go up.",
                "resolution_id": "9",
                "closes_at": "2026-12-05T17:00:00+03:00",
            },
            link="/groups/{group_id}/resolutions/{resolution_id}",
        ),
        Event(
            "rules_passed",
            G,
            INFO,
            {**_GROUP, "resolution_id": "9", "yes": "4", "no": "1"},
            channels=NO_SMS,
            link="/groups/{group_id}/resolutions/{resolution_id}",
        ),
        Event(
            "rules_failed",
            G,
            INFO,
            {**_GROUP, "resolution_id": "9", "yes": "1", "no": "1"},
            channels=NO_SMS,
            link="/groups/{group_id}/resolutions/{resolution_id}",
        ),
        Event(
            "share_out_paid",
            S,
            OK,
            {**_GROUP, **_MONEY, "savings": "KES 900.00", "earnings": "KES 100.00", "number": "1"},
            priority=HIGH,
            link="/groups/{group_id}/share-outs/{number}",
        ),
        Event(
            "plan_lapsed",
            G,
            ACT,
            {**_GROUP, "plan": "Premium", "amount": "KES 1,500.00"},
            priority=HIGH,
            link="/groups/{group_id}/plan",
        ),
        # loans
        Event(
            "loan_applied",
            L,
            ACT,
            {**_GROUP, **_MONEY, "borrower": "Amina Wanjiru"},
            channels=NO_SMS,
            link="/groups/{group_id}/loans",
        ),
        Event(
            "guarantee_requested",
            L,
            ACT,
            {**_GROUP, "amount": "KES 500.00", "borrower": "Amina Wanjiru", "purpose": "School fees"},
            link="/groups/{group_id}/loans",
        ),
        Event("loan_approved", L, OK, {**_GROUP, **_MONEY}, link="/groups/{group_id}/loans"),
        Event(
            "loan_rejected",
            L,
            INFO,
            {**_GROUP, **_MONEY, "reason": "The guarantors declined."},
            link="/groups/{group_id}/loans",
        ),
        Event("loan_disbursed", L, OK, {**_GROUP, **_MONEY}, priority=HIGH, link="/wallet"),
        Event(
            "loan_instalment_due",
            L,
            ACT,
            {**_GROUP, "amount": "KES 350.00", "due_date": "2026-12-05"},
            link="/groups/{group_id}/loans",
        ),
        Event(
            "loan_overdue",
            L,
            ACT,
            {**_GROUP, "amount": "KES 350.00", "due_date": "2026-12-05"},
            priority=HIGH,
            link="/groups/{group_id}/loans",
        ),
        # wallet
        Event("deposit_credited", W, OK, {**_MONEY, "method": "M-Pesa"}, link="/wallet"),
        Event("withdrawal_sent", W, OK, {**_MONEY, "destination": "M-Pesa +254712345678"}, link="/wallet"),
        Event(
            "withdrawal_failed",
            W,
            INFO,
            {**_MONEY, "reason": "The bank refused the account."},
            priority=HIGH,
            link="/wallet",
        ),
        Event("withdrawal_reversed", W, INFO, _MONEY, priority=HIGH, link="/wallet"),
        Event("transfer_received", W, OK, {**_MONEY, "sender": "Amina Wanjiru"}, link="/wallet"),
        # bills
        Event(
            "bill_delivered",
            B,
            OK,
            {
                "service": "KPLC Prepaid",
                "customer": "01234567890",
                **_MONEY,
                "token": "1234-5678-9012-3456-7890",
                "units": "25.6 kWh",
                "order_id": "9b2e...",
            },
            link="/bills/orders/{order_id}",
        ),
        Event(
            "bill_refunded",
            B,
            INFO,
            {"service": "Safaricom Airtime", "customer": "+254712345678", **_MONEY, "order_id": "9b2e..."},
            link="/bills/orders/{order_id}",
        ),
        Event(
            "bill_token",
            B,
            INFO,
            {
                "service": "KPLC Prepaid",
                "customer": "01234567890",
                "token": "1234-5678-9012-3456-7890",
                "units": "25.6 kWh",
                "order_id": "9b2e...",
            },
            link="/bills/orders/{order_id}",
        ),
        # loyalty
        Event(
            "loyalty_reward_issued",
            Y,
            OK,
            {"merchant": "Mama Mboga Stores", "reward": "10% off your next shop", "code": "VX7K2P"},
            channels=SMS_ONLY,
            sealed=frozenset({"code"}),
        ),
        Event(
            "loyalty_reward_expiring",
            Y,
            INFO,
            {"merchant": "Mama Mboga Stores", "reward": "10% off your next shop", "expires_date": "2026-12-05"},
            channels=SMS_ONLY,
        ),
        Event(
            "loyalty_budget_low",
            Y,
            ACT,
            {
                "tenant": "Mama Mboga Stores",
                "budget": "December promotions",
                "used": "USD 800.00",
                "threshold": "USD 800.00",
                "cap": "USD 1,000.00",
            },
            channels=NO_SMS,
            link="/loyalty",
        ),
        Event(
            "loyalty_reward_low_stock",
            Y,
            ACT,
            {"tenant": "Mama Mboga Stores", "reward": "Free bread", "left": "4", "threshold": "5"},
            channels=NO_SMS,
            link="/loyalty",
        ),
        # account
        Event("kyc_approved", A, OK, {"tier": "Full"}, link="/profile"),
        Event("kyc_rejected", A, ACT, {"reason": "The photo of your ID was not clear."}, link="/profile/kyc"),
        # security: always sent
        Event(
            "new_sign_in",
            X,
            INFO,
            {"device": "Chrome on Android", "ip": "197.232.1.10", "signed_in_at": "2026-12-05T17:00:00+03:00"},
            priority=HIGH,
            link="/profile/sessions",
        ),
        Event("password_changed", X, INFO, {}, priority=HIGH, link="/profile"),
        Event("pin_changed", X, INFO, {}, priority=HIGH, link="/profile"),
        Event("two_factor_enabled", X, INFO, {}, priority=HIGH, link="/profile"),
        Event("two_factor_disabled", X, INFO, {}, priority=HIGH, link="/profile"),
        Event(
            "email_verification",
            X,
            ACT,
            {"first_name": "Amina", "link": "https://app.pamoja.africa/verify-email?token=..."},
            channels=EMAIL_ONLY,
            sealed=frozenset({"link"}),
        ),
        Event(
            "email_change_verification",
            X,
            ACT,
            {"link": "https://app.pamoja.africa/verify-email?token=..."},
            channels=EMAIL_ONLY,
            sealed=frozenset({"link"}),
        ),
        Event(
            "password_reset",
            X,
            ACT,
            {"link": "https://app.pamoja.africa/reset-password?uid=...&token=..."},
            channels=EMAIL_ONLY,
            sealed=frozenset({"link"}),
        ),
        Event("sign_up_attempted", X, INFO, {}, channels=EMAIL_ONLY),
        Event("sign_up_phone_taken", X, INFO, {}, channels=EMAIL_ONLY),
        Event("reactivation_code", X, ACT, {"code": "123456"}, channels=EMAIL_ONLY, sealed=frozenset({"code"})),
    )
}


def event(name: str) -> Event:
    """The event called `name`; KeyError names an event nobody declared (a typo at a call site fails its test)."""
    return EVENTS[name]
