"""Withdrawals: held in flight at once, sent to the provider after commit, then settled or returned, once."""

import logging
import secrets
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.enqueue import enqueue_on_commit
from core.errors import ConflictError
from core.money import parse_amount
from notifications.rendering import money_text
from notifications.services import notify
from payments.errors import CurrencyMismatchError
from payments.models import AccountKind, BankAccount, PaymentReview, TransactionKind, Withdrawal, WithdrawalStatus
from payments.providers.base import PaymentStatus, ProviderError, ProviderRejectedError, TransferRequest
from payments.providers.registry import get_provider
from payments.services.accounts import get_house_account, get_wallet
from payments.services.deposits import callback_url, check_provider_takes
from payments.services.ledger import Leg, lock_accounts, post_transaction
from payments.services.limits import check_outgoing_limit
from payments.services.velocity import WITHDRAWAL, check_velocity, device_hash, hold_withdrawal_for_review

logger = logging.getLogger("pamoja.payments")

PAID_AFTER_RETURN = "Provider paid a withdrawal whose money was returned"


def withdrawal_fee(*, provider: str, currency: str) -> Decimal:
    configured = settings.WITHDRAWAL_FEES.get(provider, {}).get(currency)
    return parse_amount(configured, currency, allow_zero=True) if configured is not None else Decimal("0")


def start_withdrawal(
    *,
    user: User,
    amount: Decimal,
    currency: str,
    bank_account: BankAccount | None = None,
    phone_number: str | None = None,
    device_id: str | None = None,
    retry_of: Withdrawal | None = None,
) -> Withdrawal:
    """Move amount + fee from the wallet to in-flight now; the provider transfer goes out after commit (or, held
    for review, once staff release it: payments.services.velocity)."""
    if phone_number:
        provider = "mpesa"
    elif bank_account is not None:
        provider = bank_account.provider
    else:
        raise ValueError("A withdrawal goes to a bank account or an M-Pesa number; neither was given.")
    check_provider_takes(provider=provider, currency=currency)
    if bank_account is not None and bank_account.currency != currency:
        raise CurrencyMismatchError(f"This bank account takes {bank_account.currency}, not {currency}.")
    fee = withdrawal_fee(provider=provider, currency=currency)
    withdrawal_id = uuid.uuid4()
    with transaction.atomic():
        wallet = get_wallet(user_id=user.pk, currency=currency)
        lock_accounts([wallet])
        check_outgoing_limit(user=user, amount=amount, currency=currency)
        review = check_velocity(user=user, kind=WITHDRAWAL, amount=amount, currency=currency, device_id=device_id)
        in_flight = get_house_account(kind=AccountKind.IN_FLIGHT, currency=currency, code=provider)
        hold = post_transaction(
            kind=TransactionKind.WITHDRAWAL,
            legs=[Leg(wallet, -(amount + fee)), Leg(in_flight, amount + fee)],
            idempotency_key=f"withdrawal-hold:{withdrawal_id}",
            reference=str(withdrawal_id),
            memo=f"Withdrawal to {'M-Pesa ' + phone_number if phone_number else bank_account}",
        )
        withdrawal = Withdrawal.objects.create(
            id=withdrawal_id,
            reference=f"PMJ-WD-{withdrawal_id.hex[:16].upper()}",
            user=user,
            provider=provider,
            amount=amount,
            fee=fee,
            currency=currency,
            bank_account=bank_account,
            phone_number=phone_number or "",
            callback_token=secrets.token_urlsafe(32),
            hold_transaction=hold,
            device_hash=device_hash(device_id),
            status=WithdrawalStatus.HELD if review else WithdrawalStatus.PROCESSING,
            retry_of=retry_of,
        )
        if review:
            hold_withdrawal_for_review(withdrawal=withdrawal, reason=review)
        # imported here: the tasks module imports these services (a task is a thin wrapper around one)
        from payments.tasks import submit_withdrawal

        if not review:
            enqueue_on_commit(submit_withdrawal, str(withdrawal_id))  # broker down: reconciliation submits it
    return withdrawal


def retry_failed_withdrawal(*, withdrawal_id: uuid.UUID | str) -> Withdrawal:
    """Staff: send a failed withdrawal (a payout the provider refused, say) again to the same destination, as a new
    withdrawal from the member's wallet, where the failed one's money came back. Once per failed withdrawal
    (`retry_of` is unique, checked under the failed one's lock); the new one meets every limit the member's own
    would and pays its fee."""
    with transaction.atomic():
        failed = (
            Withdrawal.objects.select_for_update(of=("self",))
            .select_related("user", "bank_account")
            .get(pk=withdrawal_id)
        )
        if failed.status != WithdrawalStatus.FAILED or failed.return_transaction_id is None:
            raise ConflictError(
                "Only a failed withdrawal whose money came back is sent again.", details={"status": failed.status}
            )
        if Withdrawal.objects.filter(retry_of=failed).exists():
            raise ConflictError("This withdrawal was sent again already.")
        return start_withdrawal(
            user=failed.user,
            amount=failed.amount,
            currency=failed.currency,
            bank_account=failed.bank_account,
            phone_number=failed.phone_number or None,
            retry_of=failed,
        )


def requery_withdrawal(*, withdrawal_id: uuid.UUID | str) -> str:
    """Staff: one in flight is asked about (sent already) or sent now (never sent); anything else is settled."""
    withdrawal = Withdrawal.objects.get(pk=withdrawal_id)
    if withdrawal.status != WithdrawalStatus.PROCESSING:
        raise ConflictError("Only a withdrawal in flight is requeried.", details={"status": withdrawal.status})
    if withdrawal.submitted_at is None:
        return submit_withdrawal_to_provider(withdrawal_id=withdrawal.pk)
    return verify_withdrawal(withdrawal=withdrawal)


def submit_withdrawal_to_provider(*, withdrawal_id: uuid.UUID | str) -> str:
    """Send the transfer once. `submitted_at` is set before the call: a crash mid-call is never retried blindly
    (M-Pesa B2C has no idempotency of its own); reconciliation asks the provider instead."""
    with transaction.atomic():
        withdrawal = (
            Withdrawal.objects.select_for_update(of=("self",)).select_related("bank_account").get(pk=withdrawal_id)
        )
        if withdrawal.status != WithdrawalStatus.PROCESSING or withdrawal.submitted_at is not None:
            return "already_submitted"
        withdrawal.submitted_at = timezone.now()
        withdrawal.save(update_fields=["submitted_at", "updated_at"])
    account = withdrawal.bank_account
    adapter = get_provider(withdrawal.provider)
    request = TransferRequest(
        reference=withdrawal.reference,
        amount=withdrawal.amount,
        currency=withdrawal.currency,
        reason="Pamoja withdrawal",
        callback_url=(
            # a provider that signs nothing (Daraja) is known by the unguessable token in its callback URL
            callback_url(f"webhook-{withdrawal.provider}", token=withdrawal.callback_token)
            if not adapter.signs_webhooks
            else callback_url(f"webhook-{withdrawal.provider}")
        ),
        recipient_code=account.recipient_code if account else None,
        bank_code=account.bank_code if account else None,
        account_number=account.account_number if account else None,
        account_name=account.account_name if account else None,
        phone_number=withdrawal.phone_number or None,
    )
    try:
        result = adapter.transfer(request)
    except ProviderRejectedError as exc:  # refused outright: nothing was sent, so the money goes back
        return apply_transfer_result(withdrawal_id=withdrawal.pk, status=PaymentStatus.FAILED, message=exc.message)
    except ProviderError:
        logger.warning("withdrawal %s: provider unreachable; reconciliation will ask", withdrawal.reference)
        return "provider_unreachable"
    return apply_transfer_result(
        withdrawal_id=withdrawal.pk,
        status=result.status,
        provider_reference=result.provider_reference,
        message=result.message,
    )


def apply_transfer_result(
    *,
    withdrawal_id: uuid.UUID,
    status: PaymentStatus,
    provider_reference: str | None = None,
    message: str = "",
    receipt_code: str | None = None,
) -> str:
    """Settle, return or keep waiting, from what the provider says. Each ledger effect happens at most once."""
    with transaction.atomic():
        withdrawal = Withdrawal.objects.select_for_update().get(pk=withdrawal_id)
        if provider_reference and not withdrawal.provider_reference:
            withdrawal.provider_reference = provider_reference
            withdrawal.save(update_fields=["provider_reference", "updated_at"])
        if receipt_code and not withdrawal.receipt_code and status == PaymentStatus.SUCCEEDED:
            withdrawal.receipt_code = receipt_code[:32]  # M-Pesa's, for the receipt and staff search
            withdrawal.save(update_fields=["receipt_code", "updated_at"])
        total = withdrawal.amount + withdrawal.fee
        currency, provider = withdrawal.currency, withdrawal.provider
        in_flight = get_house_account(kind=AccountKind.IN_FLIGHT, currency=currency, code=provider)
        wallet = get_wallet(user_id=withdrawal.user_id, currency=currency)

        if withdrawal.status == WithdrawalStatus.PROCESSING and status == PaymentStatus.SUCCEEDED:
            clearing = get_house_account(kind=AccountKind.PROVIDER_CLEARING, currency=currency, code=f"{provider}:out")
            legs = [Leg(in_flight, -total), Leg(clearing, withdrawal.amount)]
            if withdrawal.fee:
                legs.append(Leg(get_house_account(kind=AccountKind.FEE_INCOME, currency=currency), withdrawal.fee))
            withdrawal.settle_transaction = post_transaction(
                kind=TransactionKind.WITHDRAWAL_SETTLEMENT,
                legs=legs,
                idempotency_key=f"withdrawal-settle:{withdrawal.pk}",
                reference=withdrawal.reference,
            )
            withdrawal.status = WithdrawalStatus.SUCCEEDED
            withdrawal.save(update_fields=["settle_transaction", "status", "updated_at"])
            _tell(withdrawal, "withdrawal_sent", destination=_destination(withdrawal))
            return "settled"

        if withdrawal.status == WithdrawalStatus.PROCESSING and status in {
            PaymentStatus.FAILED,
            PaymentStatus.REVERSED,
        }:
            withdrawal.return_transaction = post_transaction(
                kind=TransactionKind.WITHDRAWAL_RETURN,
                legs=[Leg(in_flight, -total), Leg(wallet, total)],
                idempotency_key=f"withdrawal-return:{withdrawal.pk}",
                reference=withdrawal.reference,
                memo="Withdrawal failed; funds returned",
            )
            withdrawal.status = WithdrawalStatus.FAILED
            withdrawal.failure_reason = (message or "The provider could not complete the transfer.")[:255]
            withdrawal.save(update_fields=["return_transaction", "status", "failure_reason", "updated_at"])
            _tell(withdrawal, "withdrawal_failed", reason=withdrawal.failure_reason)
            return "returned"

        if withdrawal.status == WithdrawalStatus.SUCCEEDED and status == PaymentStatus.REVERSED:
            clearing = get_house_account(kind=AccountKind.PROVIDER_CLEARING, currency=currency, code=f"{provider}:out")
            legs = [Leg(clearing, -withdrawal.amount), Leg(wallet, total)]
            if withdrawal.fee:
                legs.append(Leg(get_house_account(kind=AccountKind.FEE_INCOME, currency=currency), -withdrawal.fee))
            withdrawal.return_transaction = post_transaction(
                kind=TransactionKind.WITHDRAWAL_RETURN,
                legs=legs,
                idempotency_key=f"withdrawal-return:{withdrawal.pk}",
                reference=withdrawal.reference,
                memo="Withdrawal reversed by the provider; funds and fee returned",
            )
            withdrawal.status = WithdrawalStatus.REVERSED
            withdrawal.failure_reason = (message or "The provider reversed the transfer.")[:255]
            withdrawal.save(update_fields=["return_transaction", "status", "failure_reason", "updated_at"])
            _tell(withdrawal, "withdrawal_reversed")
            return "reversed"

        if withdrawal.status == WithdrawalStatus.FAILED and status == PaymentStatus.SUCCEEDED:
            # The money went back to the wallet, yet the provider says it paid: the payout exists twice. Nothing is
            # posted automatically (the wallet may already be spent); staff recover it, told once.
            if not PaymentReview.objects.filter(withdrawal=withdrawal, reason=PAID_AFTER_RETURN).exists():
                PaymentReview.objects.create(
                    withdrawal=withdrawal,
                    reason=PAID_AFTER_RETURN,
                    details={"amount": str(withdrawal.amount), "currency": currency, "message": message[:255]},
                )
                logger.error("withdrawal %s: the provider paid a transfer we returned", withdrawal.reference)
            return "sent_to_review"

        return "unchanged" if status != PaymentStatus.PENDING else "still_pending"


def _destination(withdrawal: Withdrawal) -> str:
    account = withdrawal.bank_account
    if account is not None:
        return f"{account.bank_name or account.bank_code} ****{account.last4}"
    return f"{withdrawal.get_provider_display()} {withdrawal.phone_number}".strip()


def _tell(withdrawal: Withdrawal, event: str, **context: str) -> None:
    notify(
        user=withdrawal.user,
        event=event,
        context={"amount": money_text(withdrawal.amount, withdrawal.currency), **context},
        key=f"withdrawal:{withdrawal.pk}",
    )


def verify_withdrawal(*, withdrawal: Withdrawal) -> str:
    result = get_provider(withdrawal.provider).verify_transfer(
        reference=withdrawal.reference, provider_reference=withdrawal.provider_reference or None
    )
    return apply_transfer_result(
        withdrawal_id=withdrawal.pk,
        status=result.status,
        provider_reference=result.provider_reference,
        message=result.message,
    )
