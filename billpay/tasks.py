from typing import Any

from celery import shared_task

from billpay.jobs import requery_pending_orders
from billpay.services import sync_catalog

__all__ = ["requery_bill_orders", "sync_billers"]


@shared_task(name="billpay.sync_billers")
def sync_billers() -> dict[str, Any]:
    """Safe to run twice: the sync is idempotent."""
    return sync_catalog().as_dict()


@shared_task(name="billpay.requery_bill_orders")
def requery_bill_orders() -> dict[str, Any]:
    """Safe to run twice: each order's outcome is applied once."""
    return requery_pending_orders()
