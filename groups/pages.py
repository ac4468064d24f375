"""The page an invite link opens when no SPA is deployed (`FRONTEND_URL` left at `SITE_URL`): `/join/<code>` (the
group's `invite_link`) and `/invites/<code>` (the invite email's button). Joining needs a signed-in Pamoja user,
which a server-rendered page without the app's sign-in (two-factor, dormancy, lockout) cannot safely be; so the page
names the group and shows how to join with the code in the app or over the API, and changes nothing."""

from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from core.pages import render_page
from groups.models import GroupStatus, SavingsGroup


def _forming_group(invite_code: str) -> SavingsGroup | None:
    """The group open to join with this code, read as `services.join_group` reads it."""
    code = invite_code.strip().upper().replace("-", "").replace(" ", "")
    return SavingsGroup.objects.filter(invite_code=code, status=GroupStatus.FORMING).first()


@method_decorator(never_cache, name="dispatch")
class InvitePage(View):
    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, invite_code: str) -> HttpResponse:
        group = _forming_group(invite_code)
        return render_page(
            request,
            "groups/pages/invite.html",
            {"group": group, "invite_code": group.invite_code if group else ""},
            status=200 if group else 404,
        )
