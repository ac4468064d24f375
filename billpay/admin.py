"""The finance-staff face: the catalog and orders, read-only (they change through the sync and the order flow).
The two staff writes, a requery and a refund of selected orders, go through billpay.services.staff, audited."""

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.signed_in import signed_in_user
from billpay.models import Beneficiary, BillCategory, Biller, BillOrder, BillVariation
from billpay.services.staff import STAFF_PERMISSION, refund_order, requery_order
from core.admin import ReadOnlyAdmin, export_as_csv
from core.errors import ApplicationError


class RefundReasonForm(forms.Form):
    reason = forms.CharField(min_length=5, max_length=200, widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(BillCategory)
class BillCategoryAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "provider_identifier", "position")


@admin.register(Biller)
class BillerAdmin(ReadOnlyAdmin):
    list_display = ("slug", "name", "category", "service_id", "meter_type", "min_amount", "max_amount", "active")
    list_filter = ("category", "active")
    search_fields = ("slug", "name", "service_id")


@admin.register(BillVariation)
class BillVariationAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "biller", "amount", "fixed_price", "active")
    list_filter = ("active", "biller__category")
    search_fields = ("code", "name", "biller__slug")
    list_select_related = ("biller",)


@admin.register(BillOrder)
class BillOrderAdmin(ReadOnlyAdmin):
    list_display = (
        "request_id",
        "user",
        "biller",
        "customer_id",
        "amount",
        "currency",
        "status",
        "attempts",
        "created_at",
        "flagged_at",
    )
    list_filter = ("status", "provider", "biller__category", ("flagged_at", admin.EmptyFieldListFilter))
    search_fields = ("request_id", "customer_id", "phone", "user__email")
    date_hierarchy = "created_at"
    list_select_related = ("user", "biller")
    actions = [export_as_csv, "requery_selected", "refund_selected"]

    def _may_act(self, request: HttpRequest) -> bool:
        # "view": the admin is read-only, so Django would hide a "change" action; the real check is here.
        if signed_in_user(request).has_perm(STAFF_PERMISSION):
            return True
        self.message_user(request, "You may not act on bill orders.", level=messages.ERROR)
        return False

    @admin.action(description="Requery selected orders with the provider", permissions=["view"])
    def requery_selected(self, request: HttpRequest, queryset: QuerySet[BillOrder]) -> None:
        if not self._may_act(request):
            return
        staff = signed_in_user(request)
        for order in queryset:
            try:
                outcome = requery_order(order_id=order.pk, actor=staff, request=request)
            except ApplicationError as exc:
                self.message_user(request, f"{order.request_id}: {exc.message}", level=messages.ERROR)
            else:
                self.message_user(request, f"{order.request_id}: {outcome.replace('_', ' ')}.")

    @admin.action(description="Refund selected orders to the wallet (asks for a reason)", permissions=["view"])
    def refund_selected(self, request: HttpRequest, queryset: QuerySet[BillOrder]) -> HttpResponse | None:
        if not self._may_act(request):
            return None
        staff = signed_in_user(request)
        form = RefundReasonForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            for order in queryset:
                try:
                    refunded = refund_order(
                        order_id=order.pk, actor=staff, reason=form.cleaned_data["reason"], request=request
                    )
                except ApplicationError as exc:
                    self.message_user(request, f"{order.request_id}: {exc.message}", level=messages.ERROR)
                else:
                    self.message_user(
                        request,
                        f"{order.request_id}: {refunded.currency} {refunded.amount} back in the wallet "
                        f"({refunded.get_status_display().lower()}).",
                    )
            return None
        return render(
            request,
            "admin/billpay/refund_orders.html",
            {**self.admin_site.each_context(request), "orders": queryset, "form": form, "opts": self.model._meta},
        )


@admin.register(Beneficiary)
class BeneficiaryAdmin(ReadOnlyAdmin):
    list_display = ("label", "user", "biller", "number", "created_at")
    search_fields = ("user__email", "number")
    list_select_related = ("user", "biller")
