from typing import Any

from celery import shared_task

from billpay.services import sync_catalog

__all__ = ["sync_billers"]


@shared_task(name="billpay.sync_billers")
def sync_billers() -> dict[str, Any]:
    """Safe to run twice: the sync is idempotent."""
    return sync_catalog().as_dict()
