"""The page at `/`: what this server is and where its docs, admin and probes are, instead of a 404."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from core.pages import render_page


@require_safe
def landing_page(request: HttpRequest) -> HttpResponse:
    return render_page(request, "pages/landing.html")
