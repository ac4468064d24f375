"""Bill orders under real concurrency (PostgreSQL): the wallet lock lets exactly as many orders through as the
balance affords; the purchase goes out after each commit; the books stay clean."""

from decimal import Decimal

import pytest

from billpay.models import BillOrder, OrderStatus, SandboxBillTransaction
from billpay.providers.vtpass.sandbox import DELIVERS_PHONE
from billpay.services import place_order, sync_catalog
from core.errors import ApplicationError
from payments.selectors import ledger_discrepancies, wallet_balance
from tests.factories import UserFactory
from tests.fixtures.money import fund_wallet
from tests.payments.test_ledger_postgres import run_threads

pytestmark = [pytest.mark.postgres]


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_orders_against_a_wallet_that_affords_three():
    sync_catalog()
    buyer = UserFactory()
    fund_wallet(buyer, "3000.00", "NGN")

    def buy(index: int):
        try:
            order = place_order(user=buyer, biller="mtn", customer_id=DELIVERS_PHONE, amount="1000")
        except ApplicationError as exc:
            return exc.code
        return str(order.pk)  # autocommit: the purchase ran on commit, in this thread

    results = run_threads(10, buy)
    assert results.count("insufficient_funds") == 7, results
    assert BillOrder.objects.count() == 3
    assert set(BillOrder.objects.values_list("status", flat=True)) == {OrderStatus.DELIVERED}
    assert SandboxBillTransaction.objects.count() == 3
    assert wallet_balance(user_id=buyer.pk, currency="NGN") == Decimal("0.00")
    assert ledger_discrepancies() == []
