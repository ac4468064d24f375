"""What stops a user's account from being deleted, as far as money goes (accounts.personal_data asks every app)."""

from collections.abc import Mapping

from accounts.models import User
from payments.models import Charge, ChargeStatus, Withdrawal, WithdrawalStatus
from payments.selectors import bank_accounts_of, wallet_entries_of, wallets_of


def open_obligations(*, user: User) -> list[str]:
    reasons = [f"{w.currency} {w.balance} is still in your wallet" for w in wallets_of(user_id=user.pk) if w.balance]
    if Withdrawal.objects.filter(user=user, status__in=[WithdrawalStatus.PROCESSING, WithdrawalStatus.HELD]).exists():
        reasons.append("a withdrawal is still on its way")
    if Charge.objects.filter(user=user, status=ChargeStatus.PENDING).exists():
        reasons.append("a deposit is still pending")
    return reasons


def personal_records(*, user: User) -> dict[str, list[Mapping[str, object]]]:
    """The user's money records for their data export."""
    return {
        "wallets": [{"currency": w.currency, "balance": str(w.balance)} for w in wallets_of(user_id=user.pk)],
        "movements": [
            {
                "date": e.transaction.created_at.isoformat(),
                "kind": e.transaction.kind,
                "currency": e.account.currency,
                "amount": str(e.amount),
                "reference": e.transaction.reference,
            }
            for e in wallet_entries_of(user_id=user.pk)
        ],
        "bank_accounts": [
            {"bank": b.bank_name or b.bank_code, "account": b.masked_number, "name": b.account_name}
            for b in bank_accounts_of(user_id=user.pk)
        ],
        "deposits": list(
            Charge.objects.filter(user=user).values(
                "reference", "provider", "amount", "currency", "status", "created_at"
            )
        ),
        "withdrawals": list(
            Withdrawal.objects.filter(user=user).values(
                "reference", "provider", "amount", "fee", "currency", "status", "created_at"
            )
        ),
    }
