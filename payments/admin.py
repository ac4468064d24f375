"""Finance staff's view of the money. Records are read-only; money moves only through services. The staff writes
here (reverse a ledger transaction, resolve a payment review, release or reject a held withdrawal) are corrections:
each needs the money-corrections permission, asks for a reason on a page of its own, and is audited."""

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse

from accounts.services import record_staff_action
from accounts.signed_in import signed_in_user
from core.admin import MONEY_CORRECTIONS, ReadOnlyAdmin, ReasonForm, export_as_csv, run_correction
from payments.errors import AlreadyReversedError
from payments.models import (
    BankAccount,
    Card,
    Charge,
    IdempotencyRecord,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    PaymentReview,
    ReconciliationDecision,
    Transfer,
    VelocityRefusal,
    Withdrawal,
)
from payments.services import reverse_transaction
from payments.services.reviews import ReviewOutcome, resolve_payment_review
from payments.services.velocity import reject_held_withdrawal, release_held_withdrawal
from payments.services.withdrawals import requery_withdrawal, retry_failed_withdrawal

if TYPE_CHECKING:
    # django-stubs makes inlines generic in their models; Django's class is not subscriptable at runtime.
    _EntryInlineBase = admin.TabularInline[LedgerEntry, LedgerTransaction]
else:
    _EntryInlineBase = admin.TabularInline


class EntryInline(_EntryInlineBase):
    model = LedgerEntry
    fields = ("account", "amount", "balance_after")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "currency", "owner_type", "owner_id", "code", "is_guarded", "balance")
    list_filter = ("kind", "currency", "is_guarded")
    search_fields = ("owner_id", "code")


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "reference", "memo", "created_at", "reverses")
    list_filter = ("kind", "created_at")
    search_fields = ("reference", "idempotency_key", "memo")
    date_hierarchy = "created_at"
    inlines = [EntryInline]
    actions = [export_as_csv, "reverse_selected"]

    @admin.action(description="Reverse selected transactions (asks for a reason)", permissions=["view"])
    def reverse_selected(self, request: HttpRequest, queryset: QuerySet[LedgerTransaction]) -> HttpResponse | None:
        staff = signed_in_user(request)  # the admin's pages are for signed-in staff only

        def reverse(original: LedgerTransaction, data: dict[str, Any]) -> str:
            if LedgerTransaction.objects.filter(reverses=original).exists():
                raise AlreadyReversedError()
            with transaction.atomic():
                reversal = reverse_transaction(original=original, reason=data["reason"])
                record_staff_action(
                    actor=staff,
                    action="ledger.reverse",
                    target=original,
                    reason=data["reason"],
                    request=request,
                    details={"reversal": reversal.pk},
                )
            return f"reversed by #{reversal.pk}."

        return run_correction(
            self,
            request,
            queryset,
            permissions=[MONEY_CORRECTIONS, "payments.reverse_ledgertransaction"],
            title="Reverse ledger transactions",
            explanation=(
                "Each one gets a compensating transaction that references it. A transaction can be reversed once; "
                "a reversal that would make a wallet negative is refused."
            ),
            button="Reverse transactions",
            apply=reverse,
        )


@admin.register(Charge)
class ChargeAdmin(ReadOnlyAdmin):
    list_display = ("reference", "user", "provider", "amount", "currency", "status", "created_at", "settled_at")
    list_filter = ("status", "provider", "currency", "created_at")
    search_fields = ("reference", "provider_reference", "receipt_code", "user__email", "phone_number")
    list_select_related = ("user",)
    date_hierarchy = "created_at"


@admin.register(Withdrawal)
class WithdrawalAdmin(ReadOnlyAdmin):
    list_display = ("reference", "user", "provider", "amount", "fee", "currency", "status", "created_at")
    list_filter = ("status", "provider", "currency", "created_at")
    search_fields = ("reference", "provider_reference", "receipt_code", "user__email", "phone_number")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    actions = [export_as_csv, "release_held", "reject_held", "retry_failed", "requery_selected"]

    @admin.action(description="Release selected held withdrawals (send them to the provider)", permissions=["view"])
    def release_held(self, request: HttpRequest, queryset: QuerySet[Withdrawal]) -> HttpResponse | None:
        return self._decide_withdrawals(
            request,
            queryset,
            "withdrawal.release",
            lambda withdrawal, reason: release_held_withdrawal(withdrawal_id=withdrawal.pk),
            "Release held withdrawals",
            "Each is sent to the provider once; it then settles or comes back as any withdrawal does.",
        )

    @admin.action(description="Reject selected held withdrawals (money back to the wallet)", permissions=["view"])
    def reject_held(self, request: HttpRequest, queryset: QuerySet[Withdrawal]) -> HttpResponse | None:
        return self._decide_withdrawals(
            request,
            queryset,
            "withdrawal.reject",
            lambda withdrawal, reason: reject_held_withdrawal(withdrawal_id=withdrawal.pk),
            "Reject held withdrawals",
            "The amount and fee go back to each member's wallet; the member is told the withdrawal was not approved.",
        )

    @admin.action(
        description="Send selected failed withdrawals again (a new one, same destination)", permissions=["view"]
    )
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Withdrawal]) -> HttpResponse | None:
        return self._decide_withdrawals(
            request,
            queryset,
            "withdrawal.retry",
            lambda withdrawal, reason: retry_failed_withdrawal(withdrawal_id=withdrawal.pk),
            "Send failed withdrawals again",
            "Each failed withdrawal (a payout the provider refused, say) is sent once more to the same bank account or "
            "M-Pesa number, as a new withdrawal from the member's wallet, where its money came back. It pays its fee "
            "and meets the member's limits; each is sent again at most once.",
        )

    @admin.action(description="Requery selected withdrawals in flight with the provider", permissions=["view"])
    def requery_selected(self, request: HttpRequest, queryset: QuerySet[Withdrawal]) -> HttpResponse | None:
        staff = signed_in_user(request)

        def requery(withdrawal: Withdrawal, data: dict[str, Any]) -> str:
            outcome = requery_withdrawal(withdrawal_id=withdrawal.pk)
            record_staff_action(
                actor=staff,
                action="withdrawal.requery",
                target=withdrawal,
                reason=data["reason"],
                request=request,
                details={"outcome": outcome},
            )
            return f"{outcome.replace('_', ' ')}."

        return run_correction(
            self,
            request,
            queryset,
            permissions=[MONEY_CORRECTIONS, "payments.change_withdrawal"],
            title="Requery withdrawals",
            explanation=(
                "Each withdrawal in flight is asked about at the provider (or, never sent, sent now); what the "
                "provider answers settles it, as its webhook would have."
            ),
            button="Requery withdrawals",
            apply=requery,
        )

    def _decide_withdrawals(
        self,
        request: HttpRequest,
        queryset: QuerySet[Withdrawal],
        action: str,
        decide: Any,
        title: str,
        explanation: str,
    ) -> HttpResponse | None:
        """Each withdrawal decided once, under its row lock (payments.services), and audited."""
        staff = signed_in_user(request)

        def apply(withdrawal: Withdrawal, data: dict[str, Any]) -> str:
            with transaction.atomic():
                decided = decide(withdrawal, data["reason"])
                record_staff_action(
                    actor=staff, action=action, target=withdrawal, reason=data["reason"], request=request
                )
            return f"{decided.get_status_display().lower()}."

        return run_correction(
            self,
            request,
            queryset,
            permissions=[MONEY_CORRECTIONS, "payments.change_withdrawal"],
            title=title,
            explanation=explanation,
            button=title,
            apply=apply,
        )


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ("id", "sender", "recipient", "amount", "currency", "status", "created_at")
    list_filter = ("status", "currency", "created_at")
    search_fields = ("id", "sender__email", "recipient__email", "note")
    list_select_related = ("sender", "recipient")
    date_hierarchy = "created_at"


@admin.register(BankAccount)
class BankAccountAdmin(ReadOnlyAdmin):
    list_display = ("user", "provider", "bank_code", "bank_name", "masked_number", "account_name", "is_primary")
    search_fields = ("user__email", "account_name")
    exclude = ("account_number",)


@admin.register(Card)
class CardAdmin(ReadOnlyAdmin):
    list_display = ("user", "provider", "brand", "last4", "exp_month", "exp_year", "created_at")
    search_fields = ("user__email", "last4")
    exclude = ("authorization_code",)


class ReviewResolutionForm(ReasonForm):
    outcome = forms.ChoiceField(choices=ReviewOutcome.choices, widget=forms.RadioSelect)


@admin.register(PaymentReview)
class PaymentReviewAdmin(ReadOnlyAdmin):
    list_display = ("id", "reason", "charge", "withdrawal", "resolved", "created_at")
    list_filter = ("resolved", ("withdrawal", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("charge__reference", "withdrawal__reference", "reason")
    list_select_related = ("charge", "withdrawal")
    date_hierarchy = "created_at"
    actions = [export_as_csv, "resolve_selected"]

    @admin.action(
        description="Resolve selected reviews (credit, reject or close; asks for a reason)", permissions=["view"]
    )
    def resolve_selected(self, request: HttpRequest, queryset: QuerySet[PaymentReview]) -> HttpResponse | None:
        staff = signed_in_user(request)

        def resolve(review: PaymentReview, data: dict[str, Any]) -> str:
            with transaction.atomic():
                resolve_payment_review(review_id=review.pk, outcome=data["outcome"], reason=data["reason"])
                record_staff_action(
                    actor=staff,
                    action=f"review.{data['outcome']}",
                    target=review,
                    reason=data["reason"],
                    request=request,
                    details={"charge": str(review.charge_id or ""), "withdrawal": str(review.withdrawal_id or "")},
                )
            return f"resolved ({ReviewOutcome(data['outcome']).label.split(':')[0].lower()})."

        return run_correction(
            self,
            request,
            queryset,
            permissions=[MONEY_CORRECTIONS],
            title="Resolve payment reviews",
            explanation=(
                "Credit and reject are for a deposit that was not credited; a review already resolved, or a deposit "
                "already credited, is refused. Close moves no money."
            ),
            button="Resolve reviews",
            apply=resolve,
            form_class=ReviewResolutionForm,
        )


@admin.register(VelocityRefusal)
class VelocityRefusalAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "kind", "scope", "window", "limit", "amount", "currency", "retry_after")
    list_filter = ("kind", "scope", "window", "limit", "currency", "created_at")
    search_fields = ("user__email", "device_hash")
    list_select_related = ("user",)
    date_hierarchy = "created_at"


@admin.register(ReconciliationDecision)
class ReconciliationDecisionAdmin(ReadOnlyAdmin):
    list_display = ("id", "charge", "withdrawal", "provider_status", "decision", "created_at")
    list_filter = ("decision", "provider_status")
    list_select_related = ("charge", "withdrawal")


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ("key", "user", "method", "path", "response_status", "created_at", "expires_at")
    search_fields = ("key", "user__email")
