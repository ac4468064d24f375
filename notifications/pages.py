"""The page a notification's link opens when no SPA is deployed (`FRONTEND_URL` left at `SITE_URL`): every email's
"Open" button leads to an app screen (`/wallet`, `/groups/<id>/loans`, …, the catalog's `link`s). Those screens are
the SPA's, behind its sign-in; this page says which screen the link opens and where the same data is in the API,
rather than a 404."""

import re

from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from core.pages import render_page

# What the app shows, by the link's last fixed segment.
SCREENS = {
    "wallet": "your wallet and its history",
    "groups": "the group",
    "contributions": "the group's contributions",
    "penalties": "the group's penalties and fines",
    "payouts": "the group's payouts",
    "recorded-payments": "the group's recorded payments",
    "meetings": "the group's meetings",
    "resolutions": "the group's resolution and its votes",
    "plan": "the group's plan",
    "loans": "the group's loans",
    "orders": "your bill order and its token",
    "loyalty": "your loyalty points and rewards",
    "profile": "your profile",
    "kyc": "your identity check (KYC)",
    "sessions": "the devices signed in to your account",
}


def screen_of(link: str) -> str:
    """`/groups/{group_id}/loans` → "the group's loans"."""
    fixed = [part for part in link.strip("/").split("/") if part and not part.startswith("{")]
    return SCREENS.get(fixed[-1], "this screen") if fixed else "this screen"


def route_of(link: str) -> str:
    """A catalog link as a URL pattern: `/groups/{group_id}` → `groups/<str:group_id>`."""
    return re.sub(r"\{(\w+)\}", r"<str:\1>", link.strip("/"))


@method_decorator(never_cache, name="dispatch")
class AppLinkPage(View):
    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, screen: str, **ids: str) -> HttpResponse:
        return render_page(request, "notifications/pages/app_link.html", {"screen": screen, "path": request.path})
