"""What a charge is for, beyond topping up the wallet: another app registers a handler for its purpose
(`contributions` registers `contribution`), and a charge opened with that purpose is handed to it once credited.

`payments` stays ignorant of groups and bills: it only knows a name and a callable. The handler runs in the same
database transaction as the credit, inside a savepoint; if it refuses (an `ApplicationError`, e.g. the
contribution was paid another way meanwhile), the money simply stays in the payer's wallet, and we log why.
"""

import logging
from collections.abc import Callable

from django.db import transaction

from core.app_hooks import Registry
from core.errors import ApplicationError
from payments.models import Charge

logger = logging.getLogger("pamoja.payments")

ChargeHandler = Callable[[Charge], object]

_handlers: Registry[ChargeHandler] = Registry("charge purpose")


def register_charge_purpose(name: str, handler: ChargeHandler) -> None:
    """`handler(charge)` moves the credited money on from the payer's wallet; it must be idempotent per charge."""
    _handlers.register(name, handler)


def apply_charge_purpose(*, charge: Charge) -> str:
    handler = _handlers.get(charge.purpose)
    if handler is None:
        logger.error("charge %s has unknown purpose %r; left in the wallet", charge.reference, charge.purpose)
        return "credited"
    try:
        with transaction.atomic():
            handler(charge)
    except ApplicationError as exc:
        logger.warning("charge %s credited to the wallet; %s refused it: %s", charge.reference, charge.purpose, exc)
        return "credited"
    return f"credited_and_applied:{charge.purpose}"
