"""Tell Daraja where our paybill's C2B confirmations and validations go (once per shortcode, and again whenever
SITE_URL or MPESA_C2B_TOKEN changes). With PROVIDERS_SANDBOX on there is no Daraja to tell: it prints the URLs."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse

from payments.providers.mpesa.adapter import from_settings


class Command(BaseCommand):
    help = "Register the paybill's C2B confirmation and validation URLs with M-Pesa Daraja."

    def handle(self, *args, **options) -> None:
        token = settings.MPESA_C2B_TOKEN
        confirmation = settings.SITE_URL + reverse("paybill-confirmation", kwargs={"token": token})
        validation = settings.SITE_URL + reverse("paybill-validation", kwargs={"token": token})
        if settings.PROVIDERS_SANDBOX:
            self.stdout.write(f"sandbox: nothing to register; confirmation {confirmation}, validation {validation}")
            return
        answer = from_settings().register_c2b_urls(confirmation_url=confirmation, validation_url=validation)
        self.stdout.write(f"registered with Daraja for shortcode {settings.MPESA_SHORTCODE}: {answer}")
