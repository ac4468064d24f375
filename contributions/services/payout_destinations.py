"""Where a member's payouts and share-outs go: the wallet (the default), or on to a linked bank account or an M-Pesa
number as a withdrawal started in the same database transaction as the payout (so exactly once: the payout's
posting is unique, and so is the withdrawal that follows it). The withdrawal is an ordinary one: its fee, the
in-flight hold, the provider's answer, and the money back in the wallet if the provider fails."""

import logging
from decimal import ROUND_DOWN, Decimal

from django.db import transaction

from contributions.models import PayoutDestination, PayoutDestinationKind
from core.errors import ApplicationError
from groups.errors import GroupStateError
from groups.models import Membership, SavingsGroup
from payments.models import BankAccount, Provider, Withdrawal
from payments.services import check_provider_takes, start_withdrawal, withdrawal_fee

logger = logging.getLogger("pamoja.contributions")


def set_payout_destination(
    *, membership: Membership, kind: str, bank_account: BankAccount | None = None, phone_number: str = ""
) -> PayoutDestination:
    """The member's own choice (the caller has checked the PIN: this decides where money goes)."""
    currency = membership.group.currency
    if kind == PayoutDestinationKind.BANK:
        assert bank_account is not None and bank_account.user_id == membership.user_id
        if bank_account.currency != currency:
            raise GroupStateError(
                f"This group pays out in {currency}; that bank account takes {bank_account.currency}."
            )
    if kind == PayoutDestinationKind.MPESA:
        try:
            check_provider_takes(provider=Provider.MPESA, currency=currency)
        except ApplicationError as exc:
            raise GroupStateError(f"M-Pesa does not take {currency}, this group's currency.") from exc
    with transaction.atomic():
        destination, _ = PayoutDestination.objects.select_for_update().get_or_create(membership=membership)
        destination.kind = kind
        destination.bank_account = bank_account if kind == PayoutDestinationKind.BANK else None
        destination.phone_number = phone_number if kind == PayoutDestinationKind.MPESA else ""
        destination.full_clean(exclude=["membership"])
        destination.save()
    return destination


def forward_payout(*, group: SavingsGroup, membership: Membership, amount: Decimal, reason: str) -> Withdrawal | None:
    """Inside the payout's transaction, after `amount` reached the member's wallet: send it on where the member
    chose, less the withdrawal fee (M-Pesa pays whole shillings; cents stay in the wallet). When it cannot go (a
    limit, too small to cover the fee), it stays in the wallet, where the member can spend or withdraw it."""
    destination = PayoutDestination.objects.filter(membership=membership).select_related("bank_account").first()
    if destination is None or destination.kind == PayoutDestinationKind.WALLET:
        return None
    if destination.kind == PayoutDestinationKind.BANK:
        assert destination.bank_account is not None  # the database's check holds it
    currency = group.currency
    provider = destination.bank_account.provider if destination.bank_account else Provider.MPESA
    sendable = amount - withdrawal_fee(provider=provider, currency=currency)
    if destination.kind == PayoutDestinationKind.MPESA:
        sendable = sendable.to_integral_value(rounding=ROUND_DOWN)
    if sendable <= 0:
        logger.info("payout of %s to membership %s stays in the wallet: the fee would take it", amount, membership.pk)
        return None
    try:
        with transaction.atomic():
            return start_withdrawal(
                user=membership.user,
                amount=sendable,
                currency=currency,
                bank_account=destination.bank_account,
                phone_number=destination.phone_number or None,
            )
    except ApplicationError as exc:
        logger.warning("%s for membership %s stays in the wallet: %s", reason, membership.pk, exc.message)
        return None
