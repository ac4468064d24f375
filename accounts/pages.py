"""Pages that open the account links Pamoja emails (verify an email, reset a password) when no SPA is deployed:
`FRONTEND_URL` left at `SITE_URL` makes `registration` build its links to these paths, the same paths and query the
SPA reads. Opening a link changes nothing (mail scanners open links too); its form's button does, through the
services the API calls."""

from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from rest_framework.exceptions import ValidationError

from accounts import registration
from accounts.errors import LinkInvalidError
from accounts.serializers import PasswordResetConfirmInputSerializer, TokenInputSerializer
from core.pages import messages_of, render_page, throttled_page

VERIFY_TEMPLATE = "accounts/pages/verify_email.html"
RESET_TEMPLATE = "accounts/pages/reset_password.html"


@method_decorator(never_cache, name="dispatch")  # the link's token is in the page
class VerifyEmailPage(View):
    http_method_names = ["get", "head", "post"]

    def get(self, request: HttpRequest) -> HttpResponse:
        token = request.GET.get("token", "")
        return render_page(request, VERIFY_TEMPLATE, {"token": token, "incomplete": not token})

    def post(self, request: HttpRequest) -> HttpResponse:
        if refused := throttled_page(request, "auth"):
            return refused
        data = TokenInputSerializer(data={"token": request.POST.get("token", "")})
        try:
            data.is_valid(raise_exception=True)
            user = registration.verify_email(token=data.validated_data["token"])
        except (LinkInvalidError, ValidationError):
            return render_page(request, VERIFY_TEMPLATE, {"invalid": True}, status=400)
        return render_page(request, VERIFY_TEMPLATE, {"verified": user.email})


@method_decorator(never_cache, name="dispatch")
class ResetPasswordPage(View):
    http_method_names = ["get", "head", "post"]

    def get(self, request: HttpRequest) -> HttpResponse:
        uid, token = request.GET.get("uid", ""), request.GET.get("token", "")
        return render_page(request, RESET_TEMPLATE, {"uid": uid, "token": token, "incomplete": not (uid and token)})

    def post(self, request: HttpRequest) -> HttpResponse:
        if refused := throttled_page(request, "auth"):
            return refused
        uid, token = request.POST.get("uid", ""), request.POST.get("token", "")
        password = request.POST.get("new_password", "")
        form = {"uid": uid, "token": token}
        if password != request.POST.get("new_password_again", ""):
            return render_page(request, RESET_TEMPLATE, {**form, "errors": ["The two passwords differ."]}, status=400)
        data = PasswordResetConfirmInputSerializer(data={**form, "new_password": password})
        try:
            data.is_valid(raise_exception=True)
            registration.reset_password(**data.validated_data)
        except LinkInvalidError:
            return render_page(request, RESET_TEMPLATE, {"invalid": True}, status=400)
        except ValidationError as exc:
            return render_page(request, RESET_TEMPLATE, {**form, "errors": messages_of(exc)}, status=400)
        return render_page(request, RESET_TEMPLATE, {"done": True})
