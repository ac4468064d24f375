from decimal import Decimal

import pytest

from payments.models import AccountKind, TransactionKind
from payments.services import Leg, get_house_account, get_wallet, post_transaction


def fund_wallet(user, amount: str, currency: str = "KES"):
    """Put money in a wallet from suspense, as a test's starting balance."""
    wallet = get_wallet(user_id=user.pk, currency=currency)
    suspense = get_house_account(kind=AccountKind.SUSPENSE, currency=currency)
    post_transaction(
        kind=TransactionKind.ADJUSTMENT,
        legs=[Leg(suspense, -Decimal(amount)), Leg(wallet, Decimal(amount))],
        idempotency_key=f"test-fund:{user.pk}:{currency}:{amount}:{wallet.balance}",
    )
    wallet.refresh_from_db()
    return wallet


@pytest.fixture
def ledger_is_clean():
    """Use as the last fixture of a money test: after it, the books must balance."""
    from payments.selectors import ledger_discrepancies

    yield
    assert ledger_discrepancies() == []
