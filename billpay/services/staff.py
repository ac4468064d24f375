"""Finance staff's writes on bill orders (the admin's actions): a requery on demand, and a refund staff decided on
after checking with the provider. Both are audited with who did it.

A refund moves money the same way the order flow would, under the same ledger keys: from IN_FLIGHT
(`bill-refund:<id>`) while the order is pending, from the provider's clearing (`bill-reversal:<id>`) once it was
delivered. The order row is locked while its status changes, so a refund racing another refund, or the requery job,
ends in exactly one outcome; the keys make a second posting impossible even if the status check were bypassed.
"""

import uuid

from django.db import transaction
from django.http import HttpRequest

from accounts.models import User
from accounts.services import record_staff_action
from billpay.errors import BillInputError, BillOrderStateError
from billpay.models import BillOrder, OrderStatus
from billpay.services.orders import check_order, notify_buyer
from core.errors import PermissionDeniedError
from payments.models import AccountKind, TransactionKind
from payments.services import Leg, get_house_account, get_wallet, post_transaction

STAFF_PERMISSION = "billpay.change_billorder"


def _require_permission(actor: User) -> None:
    """The admin checks too; the service checks again because it is what moves the money."""
    if not actor.has_perm(STAFF_PERMISSION):
        raise PermissionDeniedError("You may not act on bill orders.")


def requery_order(*, order_id: uuid.UUID | str, actor: User, request: HttpRequest | None = None) -> str:
    """Ask the provider about the order now, as the requery job would, and return check_order's outcome.

    check_order runs its own transactions and calls the provider outside any, so the audit row is written after it
    returns, in a transaction of its own.
    """
    _require_permission(actor)
    order = BillOrder.objects.get(pk=order_id)
    outcome = check_order(order_id=order.pk)
    with transaction.atomic():
        record_staff_action(
            actor=actor, action="billpay.requery", target=order, request=request, details={"outcome": outcome}
        )
    return outcome


def refund_order(
    *, order_id: uuid.UUID | str, actor: User, reason: str, request: HttpRequest | None = None
) -> BillOrder:
    """Give the customer their money back: pending → `refunded` (from IN_FLIGHT), delivered → `reversed` (from
    the provider's clearing). Any other status is BillOrderStateError (409) and nothing is posted. The posting, the
    status and the audit row commit together; the customer is told after commit."""
    _require_permission(actor)
    reason = (reason or "").strip()
    if not reason:
        message = "Give the reason for the refund."
        raise BillInputError(message, details={"reason": [message]})

    with transaction.atomic():
        order = BillOrder.objects.select_for_update(of=("self",)).select_related("biller", "user").get(pk=order_id)
        from_status = order.status
        currency, amount = order.currency, order.amount
        if from_status == OrderStatus.PENDING and order.debit_transaction_id is not None:
            source = get_house_account(kind=AccountKind.IN_FLIGHT, currency=currency, code=order.provider)
            key, to_status = f"bill-refund:{order.pk}", OrderStatus.REFUNDED
        elif from_status == OrderStatus.DELIVERED and order.settle_transaction_id is not None:
            source = get_house_account(
                kind=AccountKind.PROVIDER_CLEARING, currency=currency, code=f"{order.provider}:out"
            )
            key, to_status = f"bill-reversal:{order.pk}", OrderStatus.REVERSED
        else:
            raise BillOrderStateError(
                f"The order is {order.get_status_display().lower()}; only a pending or delivered order can be "
                "refunded.",
                details={"status": from_status},
            )

        wallet = get_wallet(user_id=order.user_id, currency=currency)
        posted = post_transaction(
            kind=TransactionKind.BILL_RETURN,
            legs=[Leg(source, -amount), Leg(wallet, amount)],
            idempotency_key=key,
            reference=str(order.pk),
            memo=f"{order.biller.name} refunded by staff",
            metadata={"bill_order": str(order.pk), "staff": str(actor.pk), "from_status": from_status},
        )
        order.refund_transaction = posted
        order.status = to_status
        order.next_check_at = None
        order.flagged_at = None  # staff have dealt with it; a later "delivered" from the provider flags it again
        order.save(update_fields=["refund_transaction", "status", "next_check_at", "flagged_at", "updated_at"])
        record_staff_action(
            actor=actor,
            action="billpay.refund",
            target=order,
            reason=reason,
            request=request,
            details={"transaction": posted.pk, "from_status": from_status},
        )
        notify_buyer(order, "bill_refunded")
    return order
