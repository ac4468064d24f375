"""The console's pages. Thin: the admin site checks the user is active staff, each view checks the staff member may
view the underlying row (through its ModelAdmin), and the selectors do the reading."""

from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Model
from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView

from console.selectors import dashboard_figures, group_health_page, member_detail
from groups.models import SavingsGroup


class ConsolePage(TemplateView):
    site: AdminSite | None = None  # set by StaffAdminSite.get_urls

    def admin_site(self) -> AdminSite:
        if self.site is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs its admin site: .as_view(site=…)")
        return self.site

    def viewable(self, model: type[Model], pk: Any) -> Any:
        """The row, if this staff member may view it in the admin (its ModelAdmin decides); else 403 (404 if none)."""
        site = self.admin_site()
        obj = get_object_or_404(model, pk=pk)
        if not site.is_registered(model) or not site.get_model_admin(model).has_view_permission(self.request, obj):
            raise PermissionDenied
        return obj

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), **self.admin_site().each_context(self.request)}


class DashboardView(ConsolePage):
    """The money dashboard: flows, provider success, income, groups, contributions and loans, with charts."""

    template_name = "console/dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "title": "Dashboard", "figures": dashboard_figures()}


class GroupHealthView(ConsolePage):
    """One savings group's health: collected against expected per cycle, arrears and defaulters, the loan book, the
    welfare fund and (savings groups) savings and the next share-out. For staff who may view the group."""

    template_name = "console/group_health.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        group = self.viewable(SavingsGroup, self.kwargs["pk"])
        page = group_health_page(group=group, request=self.request, site=self.admin_site())
        return {**super().get_context_data(**kwargs), "title": f"Health of {group.name}", **page}


class MemberDetailView(ConsolePage):
    """One member: their groups, wallets, KYC, devices, sign-ins and latest transactions, each part shown to staff
    who may view it. For staff who may view the user."""

    template_name = "console/member_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.viewable(get_user_model(), self.kwargs["pk"])
        page = member_detail(user=user, request=self.request, site=self.admin_site())
        return {**super().get_context_data(**kwargs), "title": f"Member: {user.email}", **page}
