"""Merchants' webhook endpoints, under `loyalty/tenants/<tenant_id>/` (included by `loyalty.urls`)."""

from django.urls import URLPattern, path

from loyalty import webhook_views as views

urlpatterns: list[URLPattern] = [
    path("webhooks/", views.WebhookListApi.as_view(), name="loyalty-webhooks"),
    path("webhooks/<int:endpoint_id>/", views.WebhookDetailApi.as_view(), name="loyalty-webhook"),
    path(
        "webhooks/<int:endpoint_id>/rotate-secret/",
        views.WebhookRotateSecretApi.as_view(),
        name="loyalty-webhook-rotate-secret",
    ),
    path(
        "webhooks/<int:endpoint_id>/deliveries/",
        views.WebhookDeliveryListApi.as_view(),
        name="loyalty-webhook-deliveries",
    ),
    path(
        "webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver/",
        views.WebhookRedeliverApi.as_view(),
        name="loyalty-webhook-redeliver",
    ),
]
