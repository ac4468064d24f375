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


@pytest.fixture(autouse=True)
def _sandbox_in_process(settings):
    """Providers are the sandboxes; Celery runs tasks at once; sandbox webhooks reach the app in-process."""
    from config.celery import app as celery_app

    settings.PROVIDERS_SANDBOX = True
    settings.SANDBOX_DELIVERY = "inprocess"
    settings.SANDBOX_STK_DELAY = 0
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager


def paystack_webhook(payload: dict) -> tuple[bytes, dict]:
    """A Paystack webhook body and headers, signed with the configured secret."""
    import hashlib
    import hmac
    import json

    from django.conf import settings

    body = json.dumps(payload).encode()
    signature = hmac.new(settings.PAYSTACK_SECRET_KEY.encode(), body, hashlib.sha512).hexdigest()
    return body, {"HTTP_X_PAYSTACK_SIGNATURE": signature}
