"""Every write in `billpay`: the catalog (catalog.py) and the bill order money flow (orders.py)."""

from billpay.services.catalog import (
    BillerSpec,
    CatalogSyncResult,
    complete_sandbox_transaction,
    fetch_catalog,
    sync_catalog,
    verify_bill_customer,
)
from billpay.services.orders import (
    apply_result,
    check_order,
    clearing_backing,
    in_flight_backing,
    orders_due_for_check,
    place_order,
    submit_order,
)

__all__ = [
    "BillerSpec",
    "CatalogSyncResult",
    "apply_result",
    "check_order",
    "clearing_backing",
    "complete_sandbox_transaction",
    "fetch_catalog",
    "in_flight_backing",
    "orders_due_for_check",
    "place_order",
    "submit_order",
    "sync_catalog",
    "verify_bill_customer",
]
