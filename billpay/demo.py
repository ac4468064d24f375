"""For `make run`: the sandbox's bill catalog in our tables, so `bills/services/` lists something at once (the daily
sync keeps it fresh afterwards). Only with the sandboxes on: the real catalog comes from `manage.py sync_billers`."""

from typing import TextIO

from django.conf import settings

from billpay.models import Biller
from billpay.services import sync_catalog


def seed(*, stdout: TextIO) -> None:
    if not settings.PROVIDERS_SANDBOX or Biller.objects.exists():
        return
    result = sync_catalog()
    stdout.write(f"Bill catalog: {len(result.created)} services from the VTPass sandbox\n")
