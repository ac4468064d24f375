from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from config import views

api_v1 = [
    path("health/", views.HealthApi.as_view(), name="health"),
    path("ready/", views.ReadyApi.as_view(), name="ready"),
    path("", include("accounts.urls")),
    path("", include("payments.urls")),
    path("", include("groups.urls")),
    path("", include("contributions.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("", include("django_prometheus.urls")),
    re_path(r"^api/", views.ApiNotFound.as_view(), name="api-not-found"),
]

if settings.PROVIDERS_SANDBOX:
    urlpatterns.append(path("sandbox/", include("payments.sandbox_urls")))

handler404 = "config.errors.handler404"
handler500 = "config.errors.handler500"

admin.site.site_header = "Pamoja finance"
admin.site.site_title = "Pamoja admin"
if settings.DEBUG:
    admin.site.site_header += " (development)"
