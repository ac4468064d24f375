"""The paths of the links `accounts.registration` emails, as the SPA serves them under `FRONTEND_URL` (a trailing
slash is taken too)."""

from django.urls import re_path

from accounts import pages

urlpatterns = [
    re_path(r"^verify-email/?$", pages.VerifyEmailPage.as_view(), name="page-verify-email"),
    re_path(r"^reset-password/?$", pages.ResetPasswordPage.as_view(), name="page-reset-password"),
]
