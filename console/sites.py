"""The admin site finance staff use: Django's, with a "what needs me today" index, the dashboard, and read-only
pages for a group's health and a member's detail."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path

from console.selectors import todo_items
from console.views import DashboardView, GroupHealthView, MemberDetailView


class StaffAdminSite(admin.AdminSite):
    index_template = "console/index.html"

    def get_urls(self) -> list[URLResolver | URLPattern]:
        return [
            path("dashboard/", self.admin_view(DashboardView.as_view(site=self)), name="dashboard"),
            path(
                "console/groups/<uuid:pk>/health/",
                self.admin_view(GroupHealthView.as_view(site=self)),
                name="group_health",
            ),
            path(
                "console/members/<uuid:pk>/",
                self.admin_view(MemberDetailView.as_view(site=self)),
                name="member_detail",
            ),
            *super().get_urls(),
        ]

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        context = {"todo": todo_items(request=request, site=self), **(extra_context or {})}
        return super().index(request, extra_context=context)
