"""Finance staff's view of a group's money (cycles, contributions, penalties, payouts, loans, recorded payments,
swaps, paybill payments): read-only, filterable, exportable."""

from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from accounts.services import record_staff_action
from accounts.signed_in import signed_in_user
from contributions.models import (
    Contribution,
    Cycle,
    Loan,
    LoanInstalment,
    PaybillPayment,
    Payout,
    Penalty,
    RecordedPayment,
    SwapRequest,
)
from contributions.services.paybill import assign_paybill_payment_by_staff
from core.admin import MONEY_CORRECTIONS, ReadOnlyAdmin, ReasonForm, export_as_csv, run_correction


@admin.register(Cycle)
class CycleAdmin(ReadOnlyAdmin):
    list_display = ("group", "number", "due_date", "recipient", "status")
    list_filter = ("status",)
    search_fields = ("group__name", "group__id")
    list_select_related = ("group", "recipient__user", "recipient__group")


@admin.register(Contribution)
class ContributionAdmin(ReadOnlyAdmin):
    list_display = ("cycle", "membership", "slot", "amount", "due_date", "status", "settled_by", "paid_at")
    list_filter = ("status", "settled_by", "due_date")
    search_fields = ("cycle__group__name", "membership__user__email")
    list_select_related = ("cycle__group", "membership__user", "membership__group")


@admin.register(Penalty)
class PenaltyAdmin(ReadOnlyAdmin):
    list_display = ("contribution", "membership", "period", "amount", "status", "settled_by", "created_at")
    list_filter = ("status", "settled_by")
    search_fields = ("membership__user__email", "contribution__cycle__group__name")
    list_select_related = (
        "contribution__membership__user",
        "contribution__cycle__group",
        "membership__user",
        "membership__group",
    )


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ("cycle", "recipient", "gross_amount", "fee", "deductions", "amount", "paid_at")
    search_fields = ("cycle__group__name", "recipient__user__email")
    list_select_related = ("cycle__group", "recipient__user", "recipient__group")


@admin.register(SwapRequest)
class SwapRequestAdmin(ReadOnlyAdmin):
    list_display = ("group", "from_cycle", "to_cycle", "status", "created_at", "decided_at")
    list_filter = ("status",)


class InstalmentInline(admin.TabularInline):
    model = LoanInstalment
    fields = ("number", "due_date", "principal", "interest", "late_fee", "principal_paid", "interest_paid", "status")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Loan)
class LoanAdmin(ReadOnlyAdmin):
    list_display = ("id", "group", "borrower", "principal", "term_months", "interest_method", "status", "applied_at")
    list_filter = ("status", "interest_method")
    search_fields = ("group__name", "borrower__user__email")
    list_select_related = ("group", "borrower__user", "borrower__group")
    inlines = [InstalmentInline]


@admin.register(RecordedPayment)
class RecordedPaymentAdmin(ReadOnlyAdmin):
    list_display = ("group", "member", "amount", "method", "receipt_number", "applies_to", "status", "created_at")
    list_filter = ("status", "method", "applies_to")
    search_fields = ("group__name", "receipt_number", "member__user__email")
    list_select_related = ("group", "member__user", "member__group")


class PaybillAssignmentForm(ReasonForm):
    member = forms.IntegerField(min_value=1, help_text="The member number (membership id) the payment is from.")


@admin.register(PaybillPayment)
class PaybillPaymentAdmin(ReadOnlyAdmin):
    """Payments into the M-Pesa paybill: find one by its receipt, the account the payer typed or their phone. Those
    naming no member wait in suspense; officials assign them (one proposes, another confirms) through the app."""

    list_display = (
        "trans_id",
        "paid_at",
        "amount",
        "bill_ref",
        "msisdn",
        "payer_name",
        "group",
        "membership",
        "status",
    )
    list_filter = ("status", "group", "paid_at")
    search_fields = ("trans_id", "bill_ref", "msisdn", "payer_name")
    date_hierarchy = "paid_at"
    list_select_related = ("group", "membership__user", "membership__group")
    actions = [export_as_csv, "assign_selected"]

    @admin.action(
        description="Assign selected payments in suspense to a member (asks for a reason)", permissions=["view"]
    )
    def assign_selected(self, request: HttpRequest, queryset: QuerySet[PaybillPayment]) -> HttpResponse | None:
        staff = signed_in_user(request)

        def assign(payment: PaybillPayment, data: dict[str, Any]) -> str:
            with transaction.atomic():
                assigned = assign_paybill_payment_by_staff(payment_id=payment.pk, membership_id=data["member"])
                record_staff_action(
                    actor=staff,
                    action="paybill.assign",
                    target=payment,
                    reason=data["reason"],
                    request=request,
                    details={"member": data["member"], "group": str(assigned.group_id)},
                )
            return f"applied to member {data['member']} ({assigned.settled} of it paid dues)."

        return run_correction(
            self,
            request,
            queryset,
            permissions=[MONEY_CORRECTIONS],
            title="Assign paybill payments",
            explanation=(
                "Each payment moves from suspense to the member's wallet and pays their oldest dues, once. A payment "
                "that names a group goes only to a member of that group."
            ),
            button="Assign payments",
            apply=assign,
            form_class=PaybillAssignmentForm,
        )
