from django.urls import path

from loyalty.channels import whatsapp_views

urlpatterns = [
    path("", whatsapp_views.WhatsAppWebhookApi.as_view(), name="loyalty-whatsapp-webhook"),
]
