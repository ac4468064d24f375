"""The console's pages. Thin: the admin site checks the user is active staff, the selectors do the reading."""

from typing import Any

from django.contrib.admin import AdminSite
from django.core.exceptions import ImproperlyConfigured
from django.views.generic import TemplateView

from console.selectors import dashboard_figures


class DashboardView(TemplateView):
    """The money dashboard: flows, provider success, income, groups, contributions and loans, with charts."""

    template_name = "console/dashboard.html"
    site: AdminSite | None = None  # set by StaffAdminSite.get_urls

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        if self.site is None:
            raise ImproperlyConfigured("DashboardView needs its admin site: DashboardView.as_view(site=…)")
        return {
            **super().get_context_data(**kwargs),
            **self.site.each_context(self.request),
            "title": "Dashboard",
            "figures": dashboard_figures(),
        }
