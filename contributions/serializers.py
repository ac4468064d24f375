from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contributions.models import (
    Contribution,
    ContributionStatus,
    Cycle,
    Loan,
    LoanDecision,
    LoanGuarantee,
    LoanInstalment,
    LoanStatus,
    PaybillPayment,
    PaymentMethod,
    PaymentTarget,
    Payout,
    PayoutDestinationKind,
    Penalty,
    RecordedPayment,
    Resolution,
    ResolutionKind,
    SavingsTopUp,
    ShareOut,
    SwapRequest,
    VoteChoice,
    WelfareContribution,
)
from contributions.services import loan_schedule, outstanding_principal, payoff_amount
from core.clock import local_today
from core.fields import KENYAN_PHONE, MAX_ROW_ID, SANE_DATE, AmountField, e164_phone, require_kenyan_phone
from groups.models import PayoutOrder, Plan, PlanBilling

MAX_CYCLES = 10_000  # a swap names a turn; no group has more


class ContributionSerializer(serializers.ModelSerializer):
    group = serializers.UUIDField(source="cycle.group_id")
    group_name = serializers.CharField(source="cycle.group.name")
    cycle = serializers.IntegerField(source="cycle.number")
    currency = serializers.CharField(source="cycle.group.currency")
    amount = AmountField()

    class Meta:
        model = Contribution
        fields = ["id", "group", "group_name", "cycle", "slot", "amount", "currency", "status", "due_date", "paid_at"]


class ContributionPayInputSerializer(serializers.Serializer):
    # DRF's metaclass takes declared fields off the class, so this never shadows `Field.source`; the stubs type
    # the class attribute all the same.
    source = serializers.ChoiceField(choices=["wallet", "mpesa", "card"])  # type: ignore[assignment]
    phone_number = serializers.CharField(required=False, max_length=20, help_text="E.164 M-Pesa number.")
    card = serializers.UUIDField(required=False, help_text="One of your saved cards (`source: card`).")

    def validate(self, attrs):
        if attrs["source"] == "card" and not attrs.get("card"):
            raise serializers.ValidationError({"card": ["A card payment names one of your saved cards."]})
        if attrs["source"] == "mpesa":
            if not attrs.get("phone_number"):
                raise serializers.ValidationError({"phone_number": ["An M-Pesa payment needs the paying phone."]})
            attrs["phone_number"] = e164_phone(attrs["phone_number"])
            require_kenyan_phone(attrs["phone_number"])
        return attrs

    def input_rules(self) -> dict[str, Any]:
        """By M-Pesa: a Kenyan phone; by card: a saved card (`validate`)."""
        return {
            "anyOf": [
                {"properties": {"source": {"enum": ["wallet"]}}},
                {"properties": {"source": {"enum": ["card"]}}, "required": ["card"]},
                {
                    "properties": {"source": {"enum": ["mpesa"]}, "phone_number": KENYAN_PHONE},
                    "required": ["phone_number"],
                },
            ]
        }


SETTLED_KINDS = [("contribution", "Contribution"), ("penalty", "Penalty")]


class SettledItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SETTLED_KINDS)
    id = serializers.IntegerField()
    amount = AmountField()


class ContributionPaymentSerializer(serializers.Serializer):
    """The contribution after the payment, what the payment settled (oldest first) and its total."""

    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ContributionStatus.choices)
    total = AmountField(allow_null=True)
    settled = SettledItemSerializer(many=True)
    deposit_reference = serializers.CharField(allow_null=True, help_text="M-Pesa: the deposit to follow.")


class PayoutSerializer(serializers.ModelSerializer):
    group = serializers.UUIDField(source="cycle.group_id")
    cycle = serializers.IntegerField(source="cycle.number")
    recipient = serializers.UUIDField(source="recipient.user_id")
    currency = serializers.CharField(source="cycle.group.currency")
    gross_amount = AmountField()
    fee = AmountField()
    deductions = AmountField()
    amount = AmountField()
    cash_amount = AmountField(help_text="Shares paid in cash: officials hand them over from the group's cash book.")
    status = serializers.SerializerMethodField()

    class Meta:
        model = Payout
        fields = [
            "id",
            "group",
            "cycle",
            "recipient",
            "currency",
            "gross_amount",
            "fee",
            "deductions",
            "amount",
            "cash_amount",
            "details",
            "status",
            "paid_at",
        ]

    def get_status(self, payout) -> str:
        return "paid"


class CycleSerializer(serializers.ModelSerializer):
    recipient = serializers.UUIDField(
        source="recipient.user_id", allow_null=True, help_text="Null in a savings group: nobody takes the pot."
    )
    paid_count = serializers.IntegerField()
    contribution_count = serializers.IntegerField()
    payout = serializers.SerializerMethodField()

    class Meta:
        model = Cycle
        fields = [
            "number",
            "due_date",
            "recipient",
            "recipient_slot",
            "status",
            "paid_count",
            "contribution_count",
            "payout",
        ]

    @extend_schema_field(PayoutSerializer(allow_null=True))
    def get_payout(self, cycle):
        payout = getattr(cycle, "payout", None)
        return PayoutSerializer(payout).data if payout else None


class PenaltyPaymentSerializer(serializers.ModelSerializer):
    amount = AmountField()

    class Meta:
        model = Penalty
        fields = ["id", "kind", "amount", "reason", "status", "paid_at"]


# --- turns and swaps ----------------------------------------------------------------------------------------


class RotationEntrySerializer(serializers.Serializer):
    position = serializers.IntegerField()
    cycle = serializers.IntegerField(allow_null=True)
    user = serializers.UUIDField()
    slot = serializers.IntegerField()
    token = serializers.CharField(help_text="What the random draw shuffles: `<user id>:<slot>`.")
    due_date = serializers.DateField(allow_null=True)


class RotationSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=PayoutOrder.choices)
    commitment = serializers.CharField(allow_null=True, help_text="sha256(seed), published when the group opened.")
    seed = serializers.CharField(allow_null=True, help_text="Revealed when the group starts.")
    algorithm = serializers.CharField()
    order = RotationEntrySerializer(many=True)


class ChairOrderSerializer(serializers.Serializer):
    order = serializers.ListField(
        child=serializers.UUIDField(), min_length=2, help_text="User ids, first payout first."
    )


class SwapInputSerializer(serializers.Serializer):
    from_cycle = serializers.IntegerField(min_value=1, max_value=MAX_CYCLES, help_text="Your turn.")
    to_cycle = serializers.IntegerField(min_value=1, max_value=MAX_CYCLES, help_text="The turn you want.")


class SwapSerializer(serializers.ModelSerializer):
    requested_by = serializers.UUIDField(source="requested_by.user_id")
    counterparty = serializers.UUIDField(source="counterparty.user_id")

    class Meta:
        model = SwapRequest
        fields = ["id", "requested_by", "counterparty", "from_cycle", "to_cycle", "status", "created_at", "decided_at"]


class FineInputSerializer(serializers.Serializer):
    membership = serializers.IntegerField(min_value=1, max_value=MAX_ROW_ID)
    amount = AmountField()
    reason = serializers.CharField(max_length=200)


class PenaltySerializer(serializers.ModelSerializer):
    user = serializers.UUIDField(source="membership.user_id")
    amount = AmountField()

    class Meta:
        model = Penalty
        fields = ["id", "kind", "membership", "user", "amount", "reason", "status", "created_at", "paid_at"]


# --- loans --------------------------------------------------------------------------------------------------


class GuarantorInputSerializer(serializers.Serializer):
    membership = serializers.IntegerField(min_value=1, max_value=MAX_ROW_ID)
    amount = AmountField()


class LoanApplicationSerializer(serializers.Serializer):
    amount = AmountField()
    term_months = serializers.IntegerField(min_value=1, max_value=60)
    purpose = serializers.CharField(max_length=200)
    guarantors = GuarantorInputSerializer(many=True, required=False, default=list)


class DecisionInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class RepaymentInputSerializer(serializers.Serializer):
    amount = AmountField()


class InstalmentSerializer(serializers.ModelSerializer):
    principal = AmountField()
    interest = AmountField()
    late_fee = AmountField()
    principal_paid = AmountField()
    interest_paid = AmountField()
    late_fee_paid = AmountField()
    amount = AmountField()

    class Meta:
        model = LoanInstalment
        fields = [
            "number",
            "due_date",
            "amount",
            "principal",
            "interest",
            "late_fee",
            "principal_paid",
            "interest_paid",
            "late_fee_paid",
            "status",
        ]


class GuaranteeSerializer(serializers.ModelSerializer):
    user = serializers.UUIDField(source="guarantor.user_id")
    amount = AmountField()

    class Meta:
        model = LoanGuarantee
        fields = ["id", "guarantor", "user", "amount", "status", "decided_at"]


class LoanDecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = LoanDecision
        fields = ["official", "kind", "reason", "created_at"]


class LoanSerializer(serializers.ModelSerializer):
    borrower_user = serializers.UUIDField(source="borrower.user_id")
    principal = AmountField()
    monthly_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    outstanding_principal = serializers.SerializerMethodField()

    class Meta:
        model = Loan
        fields = [
            "id",
            "borrower",
            "borrower_user",
            "principal",
            "term_months",
            "purpose",
            "interest_method",
            "monthly_rate",
            "status",
            "outstanding_principal",
            "applied_at",
            "approved_at",
            "disbursed_at",
            "closed_at",
        ]

    @extend_schema_field(AmountField())
    def get_outstanding_principal(self, loan) -> str:
        return str(outstanding_principal(loan))


class PlannedInstalmentSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    due_date = serializers.DateField()
    amount = AmountField()
    principal = AmountField()
    interest = AmountField()


class LoanDetailSerializer(LoanSerializer):
    """The loan statement: schedule, what is paid, guarantees, decisions, and the payoff amount today."""

    instalments = InstalmentSerializer(many=True, read_only=True)
    guarantees = GuaranteeSerializer(many=True, read_only=True)
    decisions = LoanDecisionSerializer(many=True, read_only=True)
    payoff_today = serializers.SerializerMethodField()
    planned_schedule = serializers.SerializerMethodField()

    class Meta(LoanSerializer.Meta):
        fields = [
            *LoanSerializer.Meta.fields,
            "payoff_today",
            "instalments",
            "planned_schedule",
            "guarantees",
            "decisions",
        ]

    @extend_schema_field(AmountField(allow_null=True))
    def get_payoff_today(self, loan):
        if loan.status != LoanStatus.DISBURSED:
            return None
        return str(payoff_amount(loan, local_today(loan.group.tz)))

    @extend_schema_field(PlannedInstalmentSerializer(many=True))
    def get_planned_schedule(self, loan):
        """Before disbursement: the schedule as it would run from today."""
        if loan.status not in (LoanStatus.APPLIED, LoanStatus.APPROVED):
            return []
        planned = loan_schedule(
            principal=loan.principal,
            term_months=loan.term_months,
            monthly_rate=loan.monthly_rate,
            method=loan.interest_method,
            currency=loan.group.currency,
            start=local_today(loan.group.tz),
        )
        return PlannedInstalmentSerializer([{**p.__dict__, "amount": p.amount} for p in planned], many=True).data


class LoanBookSerializer(serializers.Serializer):
    currency = serializers.CharField()
    outstanding = AmountField()
    loans_open = serializers.IntegerField()
    in_arrears = serializers.ListField(child=serializers.IntegerField())
    in_arrears_amount = AmountField()
    written_off = AmountField()
    lendable = AmountField()
    waiting_for_approval = serializers.IntegerField()


class LoanListSerializer(serializers.Serializer):
    book = LoanBookSerializer()
    loans = LoanSerializer(many=True)


# --- recorded payments --------------------------------------------------------------------------------------


class RecordedPaymentInputSerializer(serializers.Serializer):
    membership = serializers.IntegerField(min_value=1, max_value=MAX_ROW_ID, help_text="Who paid.")
    amount = AmountField()
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    receipt_number = serializers.CharField(max_length=40)
    paid_on = serializers.DateField(validators=SANE_DATE)
    applies_to = serializers.ChoiceField(choices=PaymentTarget.choices)
    target = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ROW_ID, help_text="The fine's or loan's id."
    )


class RecordedPaymentSerializer(serializers.ModelSerializer):
    amount = AmountField()
    applied_amount = AmountField(read_only=True, help_text="What it settled; the rest stays in the cash book.")
    user = serializers.UUIDField(source="member.user_id")

    class Meta:
        model = RecordedPayment
        fields = [
            "id",
            "member",
            "user",
            "amount",
            "method",
            "receipt_number",
            "paid_on",
            "applies_to",
            "target_id",
            "applied_amount",
            "status",
            "recorded_by",
            "decided_by",
            "rejection_reason",
            "created_at",
            "decided_at",
        ]


class RejectInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class StatementQuerySerializer(serializers.Serializer):
    start = serializers.DateField(
        required=False, validators=SANE_DATE, help_text="First day (the group's time zone); default: 90 days ago."
    )
    end = serializers.DateField(required=False, validators=SANE_DATE, help_text="Last day, included; default: today.")

    def validate(self, attrs):
        if attrs.get("start") and attrs.get("end") and attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"start": ["The start comes after the end."]})
        return attrs


class StatementMovementSerializer(serializers.Serializer):
    date = serializers.DateTimeField()
    kind = serializers.CharField(help_text="The ledger's kind of posting (`contribution`, `deposit_hold`, …).")
    # a field named `label` (the serializer's metaclass collects it; mypy sees Field.label)
    label = serializers.CharField(  # type: ignore[assignment]
        help_text="What people call it: `Registration fee`, `Security deposit`, `Share-out`…"
    )
    description = serializers.CharField(help_text="In words; on a group statement it names the member.")
    amount = AmountField(help_text="The whole movement: e-money and cash together.")
    e_money = AmountField(help_text="The part that moved through Pamoja (wallet, pot).")
    cash = AmountField(help_text="The part officials took or handed out off-platform (the group's cash book).")
    balance = AmountField()


class StatementChannelBalanceSerializer(serializers.Serializer):
    opening = AmountField()
    closing = AmountField()


class StatementChannelsSerializer(serializers.Serializer):
    e_money = StatementChannelBalanceSerializer()
    cash = StatementChannelBalanceSerializer()


class StatementSerializer(serializers.Serializer):
    title = serializers.CharField()
    group = serializers.UUIDField()
    group_name = serializers.CharField()
    holder = serializers.CharField()
    currency = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    opening_balance = AmountField()
    closing_balance = AmountField()
    by_channel = StatementChannelsSerializer(help_text="Opening and closing balances split into e-money and cash.")
    movements = StatementMovementSerializer(many=True)
    totals = serializers.DictField(child=AmountField())


# --- resolutions and the welfare fund -----------------------------------------------------------------------


class ResolutionInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ResolutionKind.choices)
    amount = AmountField(required=False, help_text="What is paid; not for a share-out (the whole pot).")
    beneficiary = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ROW_ID,
        required=False,
        help_text="The membership whose wallet is paid; not for a share-out.",
    )
    reason = serializers.CharField(max_length=500, help_text="What the money is for; members read it before voting.")
    new_rules = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=10000,
        help_text="A rule change: the group's rules as they would read after it.",
    )
    voting_days = serializers.IntegerField(min_value=1, max_value=14, default=3)


class ResolutionSerializer(serializers.ModelSerializer):
    amount = AmountField(allow_null=True, help_text="Null for a share-out: the whole pot.")
    beneficiary_user = serializers.UUIDField(source="beneficiary.user_id", allow_null=True)
    my_vote = serializers.SerializerMethodField(help_text="How you voted: yes, no, or null.")

    class Meta:
        model = Resolution
        fields = [
            "id",
            "kind",
            "amount",
            "beneficiary",
            "beneficiary_user",
            "reason",
            "new_rules",
            "proposed_by",
            "eligible_voters",
            "yes_votes",
            "no_votes",
            "my_vote",
            "closes_at",
            "status",
            "decided_at",
            "executed_by",
            "executed_at",
            "created_at",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=VoteChoice.choices, allow_null=True))
    def get_my_vote(self, resolution: Resolution) -> str | None:
        votes = self.context.get("my_votes", {})
        return votes.get(resolution.pk)


class VoteInputSerializer(serializers.Serializer):
    choice = serializers.ChoiceField(choices=VoteChoice.choices)


class WelfarePayInputSerializer(serializers.Serializer):
    cycle = serializers.IntegerField(min_value=1, max_value=1000, help_text="The cycle's number.")


class WelfareContributionSerializer(serializers.ModelSerializer):
    amount = AmountField()
    cycle = serializers.IntegerField(source="cycle.number")

    class Meta:
        model = WelfareContribution
        fields = ["id", "membership", "cycle", "amount", "paid_at"]


class WelfareFundSerializer(serializers.Serializer):
    contribution = AmountField(help_text="Each member's dues per cycle; 0.00: the group has no welfare fund.")
    balance = AmountField()
    currency = serializers.CharField()
    contributions = WelfareContributionSerializer(many=True, help_text="Officials see everyone's, members their own.")


class CreditSerializer(serializers.Serializer):
    allowed = serializers.BooleanField(help_text="Whether this group takes part-payments.")
    balance = AmountField(help_text="Paid in part and not yet enough for the next whole due.")
    currency = serializers.CharField()


class PartPaymentInputSerializer(serializers.Serializer):
    amount = AmountField()


class PartPaymentSerializer(serializers.Serializer):
    paid_in = AmountField()
    settled = AmountField(help_text="What the credit settled now: whole dues, oldest first.")
    penalties = serializers.ListField(child=serializers.IntegerField(), help_text="Penalties settled.")
    contributions = serializers.ListField(child=serializers.IntegerField(), help_text="Contributions settled.")
    balance = AmountField(help_text="The credit left, waiting for the next whole due.")
    currency = serializers.CharField()


class PlanLimitsSerializer(serializers.Serializer):
    members = serializers.IntegerField()
    loans = serializers.BooleanField()
    statements_export = serializers.BooleanField()
    recorded_payments = serializers.BooleanField()


class PlanSerializer(serializers.Serializer):
    plan = serializers.ChoiceField(choices=Plan.choices, help_text="The plan chosen (billed from the next bill).")
    effective_plan = serializers.ChoiceField(choices=Plan.choices, help_text="The plan whose limits hold today.")
    billing = serializers.ChoiceField(choices=PlanBilling.choices)
    paid_through = serializers.DateField(allow_null=True)
    limits = PlanLimitsSerializer(help_text="What the effective plan allows.")
    prices = serializers.DictField(
        child=AmountField(allow_null=True), help_text="Each plan's monthly price in the group's currency."
    )


class PlanChangeSerializer(serializers.Serializer):
    plan = serializers.ChoiceField(choices=Plan.choices)
    billing = serializers.ChoiceField(choices=PlanBilling.choices, default=PlanBilling.CHAIR_WALLET)


# --- savings groups: top-ups and share-outs ---------------------------------------------------------------------


def signed_amount(**kwargs: Any) -> serializers.DecimalField:
    """An amount that may be negative (a share-out's earnings when the pot lost money), as a string."""
    return serializers.DecimalField(max_digits=20, decimal_places=2, coerce_to_string=True, **kwargs)


class SavingsTopUpInputSerializer(serializers.Serializer):
    amount = AmountField()


class SavingsTopUpSerializer(serializers.ModelSerializer):
    amount = AmountField()

    class Meta:
        model = SavingsTopUp
        fields = ["id", "membership", "amount", "paid_at"]


SAVING_ITEM_KINDS = [("contribution", "Contribution"), ("top_up", "Top-up")]


class SavingItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SAVING_ITEM_KINDS)
    id = serializers.IntegerField()
    paid_on = serializers.DateField()
    amount = AmountField()
    months = serializers.IntegerField(help_text="Whole months held to the share-out day (a month begun counts).")
    share_months = AmountField(help_text="amount times months.")


class ShareOutLineSerializer(serializers.Serializer):
    membership = serializers.IntegerField(source="membership.pk")
    user = serializers.UUIDField(source="membership.user_id")
    savings = AmountField()
    share_months = AmountField()
    earnings = signed_amount(help_text="Their part of the earnings, by share-months (negative: of a loss).")
    gross = AmountField(help_text="savings + earnings.")
    fee = AmountField()
    amount = AmountField(help_text="gross less fee: what reaches (or reached) the wallet.")


class ShareOutMineSerializer(ShareOutLineSerializer):
    items = SavingItemSerializer(many=True, help_text="Each saving and the share-months it earned.")


class ShareOutPreviewSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="The period this share-out would close.")
    as_of = serializers.DateField(help_text="The share-out day of the current period.")
    currency = serializers.CharField()
    pot = AmountField()
    savings = AmountField()
    earnings = signed_amount(help_text="pot less savings: interest, fines, penalties and fees the group earned.")
    fee = AmountField()
    blocked_by = serializers.DictField(
        help_text="Why it cannot be shared out now (`loans_outstanding`: loans still out); empty when it can."
    )
    lines = ShareOutLineSerializer(many=True, help_text="Every saver's part, as it would be today.")
    mine = ShareOutMineSerializer(allow_null=True, help_text="Your part and how it is computed.")


class ShareOutSerializer(serializers.ModelSerializer):
    currency = serializers.CharField(source="group.currency")
    pot = AmountField()
    savings = AmountField()
    earnings = signed_amount(help_text="pot less savings (negative: a loss, shared by savings).")
    fee = AmountField()
    lines = ShareOutLineSerializer(many=True)
    mine = serializers.SerializerMethodField(help_text="Your part and how it was computed (null: you had none).")

    class Meta:
        model = ShareOut
        fields = [
            "number",
            "as_of",
            "currency",
            "pot",
            "savings",
            "earnings",
            "fee",
            "resolution",
            "lines",
            "mine",
            "created_at",
        ]

    @extend_schema_field(ShareOutMineSerializer(allow_null=True))
    def get_mine(self, share_out: ShareOut):
        mine = self.context.get("mine", {}).get(share_out.pk)
        return ShareOutMineSerializer(mine).data if mine else None


# --- where payouts go ---------------------------------------------------------------------------------------------


class PayoutDestinationInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PayoutDestinationKind.choices)
    bank_account = serializers.UUIDField(required=False, help_text="`bank`: one of your linked bank accounts.")
    phone_number = serializers.CharField(required=False, max_length=20, help_text="`mpesa`: an E.164 Kenyan number.")

    def validate(self, attrs):
        kind = attrs["kind"]
        if kind == PayoutDestinationKind.BANK and not attrs.get("bank_account"):
            raise serializers.ValidationError({"bank_account": ["Name the linked bank account payouts go to."]})
        if kind == PayoutDestinationKind.MPESA:
            if not attrs.get("phone_number"):
                raise serializers.ValidationError({"phone_number": ["Give the M-Pesa number payouts go to."]})
            attrs["phone_number"] = e164_phone(attrs["phone_number"])
            require_kenyan_phone(attrs["phone_number"])
        if kind != PayoutDestinationKind.BANK and attrs.get("bank_account"):
            raise serializers.ValidationError({"bank_account": ["Only a `bank` destination names a bank account."]})
        if kind != PayoutDestinationKind.MPESA and attrs.get("phone_number"):
            raise serializers.ValidationError({"phone_number": ["Only an `mpesa` destination names a phone number."]})
        return attrs

    def input_rules(self) -> dict[str, Any]:
        """`validate`: a bank account for `bank` only, a Kenyan phone for `mpesa` only."""
        no_bank, no_phone = {"not": {"required": ["bank_account"]}}, {"not": {"required": ["phone_number"]}}
        return {
            "anyOf": [
                {"properties": {"kind": {"enum": ["wallet"]}}, "allOf": [no_bank, no_phone]},
                {"properties": {"kind": {"enum": ["bank"]}}, "required": ["bank_account"], **no_phone},
                {
                    "properties": {"kind": {"enum": ["mpesa"]}, "phone_number": KENYAN_PHONE},
                    "required": ["phone_number"],
                    **no_bank,
                },
            ]
        }


class PayoutDestinationSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PayoutDestinationKind.choices)
    bank_account = serializers.UUIDField(allow_null=True, source="bank_account_id")
    bank_account_label = serializers.CharField(allow_null=True, help_text="The bank and the number's last four.")
    phone_number = serializers.CharField(allow_blank=True)


# --- the M-Pesa paybill -------------------------------------------------------------------------------------------


class PaybillPaymentSerializer(serializers.ModelSerializer):
    amount = AmountField()
    settled = AmountField(help_text="How much of it settled dues; the rest is in the member's wallet.")
    phone = serializers.SerializerMethodField(help_text="The paying number, masked.")

    class Meta:
        model = PaybillPayment
        fields = [
            "id",
            "trans_id",
            "bill_ref",
            "amount",
            "paid_at",
            "payer_name",
            "phone",
            "status",
            "membership",
            "proposed_by",
            "confirmed_by",
            "settled",
            "created_at",
        ]

    def get_phone(self, payment: PaybillPayment) -> str:
        digits = payment.msisdn
        return f"{digits[:4]}•••{digits[-3:]}" if len(digits) > 7 else ""


class PaybillSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    short_code = serializers.CharField(help_text="Pamoja's M-Pesa paybill number.")
    account = serializers.CharField(allow_null=True, help_text="The group's account number on it.")
    my_account = serializers.CharField(
        allow_null=True, help_text="The account number that names you (`<account>-<member number>`)."
    )
    payments = PaybillPaymentSerializer(many=True, help_text="Officials see the group's, members their own.")


class PaybillAssignInputSerializer(serializers.Serializer):
    membership = serializers.IntegerField(min_value=1, max_value=MAX_ROW_ID, help_text="Whose payment it is.")
