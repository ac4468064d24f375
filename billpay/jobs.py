"""What billpay's scheduled tasks do (the tasks in tasks.py are thin wrappers around these)."""

import logging
from typing import Any

from billpay.services import check_order, orders_due_for_check

logger = logging.getLogger("pamoja.billpay")


def requery_pending_orders() -> dict[str, Any]:
    """Ask the provider about every pending order whose next check is due (backoff per order), until each is final.
    Safe to run twice, or concurrently: each order's outcome is applied under its row lock, once."""
    outcomes: dict[str, int] = {}
    for order_id in orders_due_for_check():
        try:
            outcome = check_order(order_id=order_id)
        except Exception:  # one order's trouble must not stop the others; it is retried next run
            logger.exception("bill order %s: requery failed", order_id)
            outcome = "error"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes
