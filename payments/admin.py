"""Finance staff's view of the money. Records are read-only; money moves only through services, including the
one staff write here, reversing a ledger transaction, which asks for a reason."""

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.services import record_staff_action
from accounts.signed_in import signed_in_user
from core.admin import ReadOnlyAdmin, export_as_csv
from core.errors import ApplicationError
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
from payments.services.velocity import reject_held_withdrawal, release_held_withdrawal

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


class ReversalReasonForm(forms.Form):
    reason = forms.CharField(min_length=5, max_length=200, widget=forms.Textarea(attrs={"rows": 3}))


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
        if not staff.has_perm("payments.reverse_ledgertransaction"):
            self.message_user(request, "You may not reverse transactions.", level=messages.ERROR)
            return None
        form = ReversalReasonForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            for original in queryset:
                try:
                    with transaction.atomic():
                        reversal = reverse_transaction(original=original, reason=form.cleaned_data["reason"])
                        record_staff_action(
                            actor=staff,
                            action="ledger.reverse",
                            target=original,
                            reason=form.cleaned_data["reason"],
                            request=request,
                            details={"reversal": reversal.pk},
                        )
                except ApplicationError as exc:
                    self.message_user(request, f"#{original.pk}: {exc.message}", level=messages.ERROR)
                else:
                    self.message_user(request, f"#{original.pk} reversed by #{reversal.pk}.")
            return None
        return render(
            request,
            "admin/payments/reverse_transactions.html",
            {**self.admin_site.each_context(request), "transactions": queryset, "form": form, "opts": self.model._meta},
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
    actions = [export_as_csv, "release_held", "reject_held"]

    @admin.action(description="Release selected held withdrawals (send them to the provider)", permissions=["view"])
    def release_held(self, request: HttpRequest, queryset: QuerySet[Withdrawal]) -> None:
        self._decide_held(request, queryset, "withdrawal.release", release_held_withdrawal, "released")

    @admin.action(description="Reject selected held withdrawals (money back to the wallet)", permissions=["view"])
    def reject_held(self, request: HttpRequest, queryset: QuerySet[Withdrawal]) -> None:
        self._decide_held(request, queryset, "withdrawal.reject", reject_held_withdrawal, "rejected")

    def _decide_held(
        self, request: HttpRequest, queryset: QuerySet[Withdrawal], action: str, decide: Any, done: str
    ) -> None:
        """Each held withdrawal decided once, under its row lock (payments.services.velocity), and audited."""
        staff = signed_in_user(request)
        if not staff.has_perm("payments.change_withdrawal"):
            self.message_user(request, "You may not decide held withdrawals.", level=messages.ERROR)
            return
        for withdrawal in queryset:
            try:
                with transaction.atomic():
                    decide(withdrawal_id=withdrawal.pk)
                    record_staff_action(actor=staff, action=action, target=withdrawal, request=request)
            except ApplicationError as exc:
                self.message_user(request, f"{withdrawal.reference}: {exc.message}", level=messages.ERROR)
            else:
                self.message_user(request, f"{withdrawal.reference} {done}.")


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


@admin.register(PaymentReview)
class PaymentReviewAdmin(ReadOnlyAdmin):
    list_display = ("id", "reason", "charge", "withdrawal", "resolved", "created_at")
    list_filter = ("resolved",)


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


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ("key", "user", "method", "path", "response_status", "created_at", "expires_at")
    search_fields = ("key", "user__email")
