import uuid
from decimal import Decimal

from django.db import transaction

from accounts.models import User
from notifications.rendering import money_text
from notifications.services import notify
from payments.errors import SelfTransferError
from payments.models import TransactionKind, Transfer
from payments.services.accounts import get_wallet
from payments.services.ledger import Leg, lock_accounts, post_transaction
from payments.services.limits import check_outgoing_limit


def post_transfer(*, sender: User, recipient: User, amount: Decimal, currency: str, note: str = "") -> Transfer:
    """Move `amount` from the sender's wallet to the recipient's, in one currency, atomically.

    Each call is a new transfer: retries are deduplicated a layer up, by the request's Idempotency-Key, whose
    record commits with this transfer.
    """
    if sender.pk == recipient.pk:
        raise SelfTransferError()
    with transaction.atomic():
        source = get_wallet(user_id=sender.pk, currency=currency)
        target = get_wallet(user_id=recipient.pk, currency=currency)
        lock_accounts([source, target])
        check_outgoing_limit(user=sender, amount=amount, currency=currency)
        transfer_id = uuid.uuid4()
        posted = post_transaction(
            kind=TransactionKind.TRANSFER,
            legs=[Leg(source, -amount), Leg(target, amount)],
            idempotency_key=f"transfer:{transfer_id}",
            reference=str(transfer_id),
            memo=note,
            metadata={"sender": str(sender.pk), "recipient": str(recipient.pk)},
        )
        transfer = Transfer.objects.create(
            id=transfer_id,
            ledger_transaction=posted,
            sender=sender,
            recipient=recipient,
            amount=amount,
            currency=currency,
            note=note,
        )
        notify(
            user=recipient,
            event="transfer_received",
            context={"amount": money_text(amount, currency), "sender": sender.get_full_name() or sender.email},
        )
        return transfer
