from django.apps import AppConfig


class BillPayConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billpay"
    verbose_name = "Bill payments"
