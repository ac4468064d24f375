"""What the small server-rendered pages share: the pages that open an emailed link (verify an email, reset a
password, an invite) when no SPA is deployed (`FRONTEND_URL` left at `SITE_URL`), and the landing page at `/`.

They are plain Django views (CSRF-protected forms, no JavaScript) that call the same services as the API; a form
that completes an action is held to the API's rate for it, in the same counter.
"""

from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.exceptions import ValidationError
from rest_framework.throttling import ScopedRateThrottle


def render_page(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    """A page with what every page shows: where the API lives (`api`) for the curl lines it prints."""
    response: HttpResponse = render(
        request, template, {"api": f"{settings.SITE_URL}/api/v1", **(context or {})}, status=status
    )
    return response


def throttled_page(request: HttpRequest, scope: str) -> HttpResponse | None:
    """A 429 page when the caller is over the API's `scope` rate (counted with the API's own calls), else None."""
    throttle = ScopedRateThrottle()
    if throttle.allow_request(request, SimpleNamespace(throttle_scope=scope)):  # type: ignore[arg-type]
        return None
    wait = int(throttle.wait() or 60) + 1
    response = render_page(request, "pages/throttled.html", {"wait": wait}, status=429)
    response["Retry-After"] = str(wait)
    return response


def messages_of(error: ValidationError) -> list[str]:
    """A validation error's messages, flat, for a form that shows them above its fields."""

    def walk(detail: Any) -> list[str]:
        if isinstance(detail, dict):
            return [message for value in detail.values() for message in walk(value)]
        if isinstance(detail, list):
            return [message for value in detail for message in walk(value)]
        return [str(detail)]

    return walk(error.detail)
