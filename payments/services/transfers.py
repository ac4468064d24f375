import functools
import uuid
from decimal import Decimal

from django.db import transaction

from accounts.models import User
from core.compiled_select import CompiledSelect
from core.errors import ApplicationError
from notifications.rendering import money_text
from notifications.services import notify
from payments.errors import InsufficientFundsError, SelfTransferError
from payments.models import AccountKind, LedgerAccount, LedgerTransaction, TransactionKind, Transfer
from payments.services.accounts import get_wallet
from payments.services.ledger import Leg, check_posting, lock_accounts, write_posting
from payments.services.limits import check_outgoing_limit
from payments.services.velocity import TRANSFER, check_velocity, device_hash


def _lock_wallets(*, sender: User, recipient: User, currency: str) -> tuple[LedgerAccount | None, LedgerAccount | None]:
    """Both users' wallets in `currency`, locked in id order by one statement (None where a user has none yet)."""
    wallets: dict[str, LedgerAccount | None] = {str(sender.pk): None, str(recipient.pk): None}
    for wallet in _wallets_lock().rows(currency, *wallets):
        wallets[wallet.owner_id] = wallet
    return wallets[str(sender.pk)], wallets[str(recipient.pk)]


@functools.cache
def _wallets_lock() -> CompiledSelect[LedgerAccount]:
    """Two users' wallets in one currency, locked in id order: compiled once (a transfer's every statement counts)."""
    currency, first, second = "<currency>", "<first owner>", "<second owner>"
    return CompiledSelect.compile(
        LedgerAccount.objects.select_for_update()
        .filter(kind=AccountKind.USER_WALLET, currency=currency, owner_type="user", owner_id__in=[first, second])
        .order_by("pk"),
        (LedgerAccount._meta.get_field("currency"), currency),
        (LedgerAccount._meta.get_field("owner_id"), first),
        (LedgerAccount._meta.get_field("owner_id"), second),
    )


def post_transfer(
    *, sender: User, recipient: User, amount: Decimal, currency: str, note: str = "", device_id: str | None = None
) -> Transfer:
    """Move `amount` from the sender's wallet to the recipient's, in one currency, atomically.

    Each call is a new transfer: retries are deduplicated a layer up, by the request's Idempotency-Key, whose
    record commits with this transfer (so the ledger's own key, a fresh uuid, needs no lookup).

    The hot path of the API, so its statements are few: one locking select of both wallets, the day's outgoing
    totals, then the writes. Every refusal (limits, funds) is decided before anything is written and raised once
    the block is left, so the block needs no savepoint: a refusal leaves the caller's transaction usable (the view
    commits the spent PIN token with it) and has written nothing but a velocity refusal's record.
    """
    if sender.pk == recipient.pk:
        raise SelfTransferError()
    refusal: ApplicationError | None = None
    with transaction.atomic(savepoint=False):
        source, target = _lock_wallets(sender=sender, recipient=recipient, currency=currency)
        try:
            check_outgoing_limit(user=sender, amount=amount, currency=currency)
            check_velocity(user=sender, kind=TRANSFER, amount=amount, currency=currency, device_id=device_id)
            if source is None:  # no wallet in this currency: nothing to send (none is made for a refusal)
                raise InsufficientFundsError(details={"currency": currency, "available": str(Decimal("0.00"))})
            if target is None:
                # The recipient's first money in this currency: their wallet is made now and locked after the
                # sender's (a new row has the highest id, so the id order of locks still holds).
                unsaved = LedgerAccount(kind=AccountKind.USER_WALLET, currency=currency, is_guarded=True)
                check_posting([Leg(source, -amount), Leg(unsaved, amount)], {source.pk: source})
                made = get_wallet(user_id=recipient.pk, currency=currency)
                target = lock_accounts([made])[made.pk]
            legs = [Leg(source, -amount), Leg(target, amount)]
            posting = check_posting(legs, {source.pk: source, target.pk: target})
        except ApplicationError as exc:
            refusal = exc
        else:
            transfer_id = uuid.uuid4()
            posted = write_posting(
                posting,
                transaction_row=LedgerTransaction(
                    kind=TransactionKind.TRANSFER,
                    idempotency_key=f"transfer:{transfer_id}",
                    reference=str(transfer_id),
                    memo=note[:255],
                    metadata={"sender": str(sender.pk), "recipient": str(recipient.pk)},
                ),
            )
            transfer = Transfer.objects.create(
                id=transfer_id,
                ledger_transaction=posted,
                sender=sender,
                recipient=recipient,
                amount=amount,
                currency=currency,
                note=note,
                device_hash=device_hash(device_id),
            )
            notify(
                user=recipient,
                event="transfer_received",
                context={"amount": money_text(amount, currency), "sender": sender.get_full_name() or sender.email},
            )
    if refusal is not None:
        raise refusal
    return transfer
