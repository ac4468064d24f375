"""Where payouts go: the wallet by default; a member may send their payouts and share-outs on to a linked bank
account or an M-Pesa number. The payout reaches the wallet, then continues as a withdrawal (fee, in flight, the
provider's answer, back to the wallet on failure), exactly once."""

import uuid
from decimal import Decimal

import pytest

from contributions.models import PayoutDestination
from contributions.tasks import dispatch_group_job
from payments.models import Withdrawal
from payments.selectors import ledger_discrepancies
from payments.services import get_wallet
from tests.factories import pin_token
from tests.fixtures.groups import CHAMA, NAIROBI, at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("providers_in_process")]


def choose(person, gid, body, pin=True):
    headers = {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}
    if pin:
        headers["HTTP_X_PIN_TOKEN"] = pin_token(person.user)
    return person.api.put(f"/api/v1/groups/{gid}/payout-destination/", body, format="json", **headers)


def link_bank(person, account_number):
    body = {"provider": "paystack", "currency": "NGN", "bank_code": "058", "account_number": account_number}
    answer = person.post("banks/", body)
    assert answer.status_code == 201, answer.json()
    return answer.json()["id"]


def wallet(person, currency="NGN") -> Decimal:
    return get_wallet(user_id=person.user.pk, currency=currency).balance


def pay_all(people, gid, cycle=1):
    for person in people:
        mine = next(c for c in person.contributions(gid) if c["cycle"] == cycle)
        assert person.pay(mine["id"]).status_code == 200


@pytest.mark.parametrize(("account_number", "outcome"), [("0123456789", "succeeded"), ("1234560000", "failed")])
def test_a_payout_continues_to_the_chosen_bank_account_once_and_comes_back_if_the_bank_fails(
    started_group, django_capture_on_commit_callbacks, account_number, outcome
):
    with at("2026-12-01T10:00"):
        group, people = started_group(size=3)
    gid, chair = group["id"], people[0]
    bank = link_bank(chair, account_number)
    assert chair.get(f"groups/{gid}/payout-destination/").json()["kind"] == "wallet"
    assert choose(chair, gid, {"kind": "bank", "bank_account": bank}, pin=False).status_code == 403
    chosen = choose(chair, gid, {"kind": "bank", "bank_account": bank})
    assert chosen.status_code == 200, chosen.json()
    assert chosen.json()["bank_account"] == bank and chosen.json()["bank_account_label"].endswith(account_number[-4:])
    with at("2027-01-05T10:00"):
        pay_all(people, gid)
        before = wallet(chair)
        with django_capture_on_commit_callbacks(execute=True):
            for _ in range(2):  # the job twice: one payout, one withdrawal
                dispatch_group_job("payouts", every_zone=True)
    withdrawal = Withdrawal.objects.get(user=chair.user)
    # 30,000 less the 2% service fee reached the wallet; all of it but the withdrawal fee went on to the bank
    assert (withdrawal.amount, withdrawal.fee, withdrawal.status) == (Decimal("29350.00"), Decimal("50.00"), outcome)
    expected = before if outcome == "succeeded" else before + Decimal("29400.00")
    assert wallet(chair) == expected
    assert ledger_discrepancies() == []


def test_a_payout_to_mpesa_sends_whole_shillings_and_leaves_the_cents_in_the_wallet(
    started_group, django_capture_on_commit_callbacks
):
    with at("2026-12-01T10:00", NAIROBI):
        group, people = started_group(size=3, funded="20000.00", **{**CHAMA, "service_fee_percent": "1.25"})
    gid, chair = group["id"], people[0]
    assert choose(chair, gid, {"kind": "mpesa", "phone_number": "+254712345678"}).status_code == 200
    with at("2027-01-05T10:00", NAIROBI):
        pay_all(people, gid)
        before = wallet(chair, "KES")
        with django_capture_on_commit_callbacks(execute=True):
            dispatch_group_job("payouts", every_zone=True)
    withdrawal = Withdrawal.objects.get(user=chair.user)
    # 3,000 less 37.50 fee = 2,962.50 to the wallet; less the M-Pesa fee, whole shillings go on
    sent = (Decimal("2962.50") - withdrawal.fee).to_integral_value(rounding="ROUND_DOWN")
    assert (withdrawal.provider, withdrawal.phone_number, withdrawal.amount) == ("mpesa", "+254712345678", sent)
    assert wallet(chair, "KES") == before + Decimal("2962.50") - sent - withdrawal.fee
    assert ledger_discrepancies() == []


def test_bad_destinations_are_refused_and_change_nothing(started_group, member):
    with at("2026-12-01T10:00", NAIROBI):
        group, people = started_group(size=2, funded="20000.00", **CHAMA)
    gid, chair = group["id"], people[0]
    stranger_bank = link_bank(_funded(member), "0123456789")
    own_ngn_bank = link_bank(chair, "0123456789")
    for body, status, code in [
        ({"kind": "bank"}, 400, "validation_error"),
        ({"kind": "mpesa", "phone_number": "+2348012345678"}, 400, "validation_error"),
        ({"kind": "wallet", "phone_number": "+254712345678"}, 400, "validation_error"),
        ({"kind": "bank", "bank_account": stranger_bank}, 404, "not_found"),
        ({"kind": "bank", "bank_account": own_ngn_bank}, 409, "group_state"),  # a KES group, an NGN account
        ({"kind": "cheque"}, 400, "validation_error"),
    ]:
        answer = choose(chair, gid, body)
        assert (answer.status_code, answer.json()["error"]["code"]) == (status, code), (body, answer.json())
    assert not PayoutDestination.objects.exists()


def _funded(member_factory):
    return member_factory()
