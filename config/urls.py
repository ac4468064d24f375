from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from config import views
from config.metrics import metrics_view
from config.pages import landing_page

api_v1: list[URLPattern | URLResolver] = [
    path("health/", views.HealthApi.as_view(), name="health"),
    path("ready/", views.ReadyApi.as_view(), name="ready"),
    path("", include("accounts.urls")),
    path("", include("payments.urls")),
    path("", include("groups.urls")),
    path("", include("contributions.urls")),
    path("", include("billpay.urls")),
    path("", include("loyalty.urls")),
    path("", include("notifications.urls")),
]

urlpatterns = [
    path("", landing_page, name="landing"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # the split view serves Swagger UI's start-up script as a file, so the page needs no inline script (CSP)
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    # our template: drf-spectacular's without the Google Fonts links (the docs load nothing from another host)
    path(
        "api/redoc/",
        SpectacularRedocView.as_view(url_name="schema", template_name="pamoja/redoc.html"),
        name="api-redoc",
    ),
    path("metrics", metrics_view, name="prometheus-django-metrics"),  # token or allowed address unless DEBUG
    re_path(r"^api/", views.ApiNotFound.as_view(), name="api-not-found"),
    # where emailed links lead when no SPA is deployed (FRONTEND_URL left at SITE_URL): the SPA's own paths
    path("", include("accounts.page_urls")),
    path("", include("groups.page_urls")),
    path("", include("notifications.page_urls")),  # after the pages above: an invite opens the invite page
]

if settings.PROVIDERS_SANDBOX:
    urlpatterns += [
        path("sandbox/", include("payments.sandbox_urls")),
        path("sandbox/", include("billpay.sandbox_urls")),
        path("sandbox/", include("contributions.sandbox_urls")),
    ]

handler404 = "core.errors.handler404"
handler500 = "core.errors.handler500"

admin.site.site_header = "Pamoja finance"
admin.site.site_title = "Pamoja admin"
if settings.DEBUG:
    admin.site.site_header += " (development)"
