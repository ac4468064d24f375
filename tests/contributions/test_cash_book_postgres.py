"""Threads on PostgreSQL against the cash book and a contribution's M-Pesa settlement: cash is spent once, a late
callback racing a wallet payment settles one obligation once and leaves the rest in the wallet."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from contributions.models import Contribution
from contributions.services import cash_book_of
from groups.models import SavingsGroup
from payments.models import Charge
from payments.selectors import ledger_discrepancies
from payments.services import get_wallet
from payments.services.deposits import apply_charge_result
from tests.fixtures.groups import NAIROBI, at
from tests.fixtures.threads import run_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_officials_confirming_two_cash_payouts_at_once_never_overdraw_the_cash_book(chama):
    gid, (chair, treasurer, member), ids = chama
    with at("2026-12-03T18:00", NAIROBI):
        recorded = treasurer.post(
            f"groups/{gid}/payments/",
            {
                "membership": ids[member],
                "amount": "1000.00",
                "method": "cash",
                "receipt_number": "IN-1",
                "paid_on": "2026-12-03",
                "applies_to": "contribution",
            },
        )
        assert chair.post(f"groups/{gid}/payments/{recorded.json()['id']}/confirm/").status_code == 200
        payouts = []
        for index, maker in enumerate((treasurer, chair)):
            out = maker.post(
                f"groups/{gid}/payments/",
                {
                    "membership": ids[member],
                    "amount": "700.00",
                    "method": "cash",
                    "receipt_number": f"OUT-{index}",
                    "paid_on": "2026-12-03",
                    "applies_to": "cash_payout",
                },
            )
            assert out.status_code == 201, out.json()
            payouts.append(out.json()["id"])
        checkers = {payouts[0]: chair, payouts[1]: treasurer}

        def confirm(index: int) -> int:
            pid = payouts[index]
            client = APIClient()
            client.force_authenticate(checkers[pid].user)
            return client.post(f"/api/v1/groups/{gid}/payments/{pid}/confirm/", {}, format="json").status_code

        results = run_threads(2, confirm)
    assert sorted(results) == [200, 422], results
    assert cash_book_of(SavingsGroup.objects.get(pk=gid), "cash").balance == Decimal("300.00")
    assert ledger_discrepancies() == []


def test_a_late_mpesa_callback_racing_a_wallet_payment_settles_the_contribution_once(chama):
    gid, (_chair, _treasurer, member), _ids = chama
    with at("2026-12-03T10:00", NAIROBI):
        target = next(c for c in member.contributions(gid) if c["cycle"] == 1)["id"]
        started = member.post(
            f"contributions/{target}/pay/", {"source": "mpesa", "phone_number": "+254712345678"}, money=True
        )
        assert started.status_code == 202, started.json()
        charge = Charge.objects.get(reference=started.json()["deposit_reference"])
        before = get_wallet(user_id=member.user.pk, currency="KES").balance

        def race(index: int):
            if index == 0:
                return member.pay(target).status_code
            return apply_charge_result(
                charge_id=charge.pk, status="succeeded", amount=charge.amount, currency=charge.currency
            )

        results = run_threads(2, race)
    assert not any(isinstance(r, Exception) for r in results), results
    assert Contribution.objects.get(pk=target).status == "paid"
    # the contribution is paid once: by the wallet (the M-Pesa money stays there) or by M-Pesa (the wallet refused)
    assert get_wallet(user_id=member.user.pk, currency="KES").balance == before
    assert ledger_discrepancies() == []
