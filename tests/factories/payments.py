"""Wallets. A balance is never written: it is posted, from suspense (a test's starting money), so the books
balance from the first line of every test."""

from decimal import Decimal

import factory

from payments.models import AccountKind, LedgerAccount, TransactionKind
from payments.services import Leg, get_house_account, get_wallet, post_transaction
from tests.factories.accounts import UserFactory


class WalletFactory(factory.django.DjangoModelFactory):
    """`WalletFactory(user=…, currency="NGN", funded="5000.00")`: the user's wallet, with that much posted in."""

    class Meta:
        model = LedgerAccount

    user = factory.SubFactory(UserFactory)  # the wallet's owner (a ledger account names it by id)
    currency = "KES"

    @classmethod
    def _create(cls, model_class, *, user, currency, funded=None, **kwargs):
        wallet = get_wallet(user_id=user.pk, currency=currency)
        if funded:
            suspense = get_house_account(kind=AccountKind.SUSPENSE, currency=currency)
            post_transaction(
                kind=TransactionKind.ADJUSTMENT,
                legs=[Leg(suspense, -Decimal(funded)), Leg(wallet, Decimal(funded))],
                idempotency_key=f"test-fund:{user.pk}:{currency}:{funded}:{wallet.balance}",
            )
            wallet.refresh_from_db()
        return wallet
