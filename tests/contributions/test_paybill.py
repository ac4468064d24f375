"""A chama's dues paid into Pamoja's M-Pesa paybill (Daraja C2B): matched to the member and their oldest dues
automatically, or parked in suspense until two officials assign it; every receipt code credits once."""

import json
from decimal import Decimal

import pytest
import respx
from django.contrib.auth.models import Group
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import StaffAuditEntry
from contributions.errors import PaybillStateError
from contributions.models import Contribution, PaybillPayment
from contributions.paybill_callbacks import receive_confirmation
from contributions.services.paybill import assign_paybill_payment_by_staff
from groups.models import Membership
from payments.models import AccountKind, LedgerTransaction
from payments.providers.base import ProviderRejectedError
from payments.providers.mpesa.adapter import MpesaConfig, MpesaProvider, parse_c2b_confirmation
from payments.selectors import ledger_discrepancies
from payments.services import get_house_account, get_wallet
from tests.factories import UserFactory
from tests.fixtures.groups import NAIROBI, at
from tests.fixtures.threads import run_threads

pytestmark = pytest.mark.django_db

TOKEN = "sandbox-paybill-token"
PAYBILL_ADMIN = "/admin/contributions/paybillpayment/"


def confirmation(trans_id, account, amount="1000", msisdn="254700999999"):
    """Daraja's documented C2B confirmation body."""
    return {
        "TransactionType": "Pay Bill",
        "TransID": trans_id,
        "TransTime": "20270105101500",
        "TransAmount": amount,
        "BusinessShortCode": "174379",
        "BillRefNumber": account,
        "InvoiceNumber": "",
        "OrgAccountBalance": "49197.00",
        "ThirdPartyTransID": "",
        "MSISDN": msisdn,
        "FirstName": "John",
        "MiddleName": "",
        "LastName": "Doe",
    }


def deliver(body, token=TOKEN):
    return APIClient().post(f"/api/v1/paybill/mpesa/confirmation/{token}/", body, format="json")


@pytest.fixture
def paybill_chama(chama):
    gid, people, ids = chama
    enabled = people[0].post(f"groups/{gid}/paybill/")
    assert enabled.status_code == 200, enabled.json()
    return gid, people, ids, enabled.json()["account"]


def cycle_one(person, gid):
    return next(c for c in person.contributions(gid) if c["cycle"] == 1)


def test_the_chair_turns_the_paybill_on_and_members_see_their_account(paybill_chama):
    gid, (chair, treasurer, member), ids, account = paybill_chama
    assert len(account) == 6
    mine = member.get(f"groups/{gid}/paybill/").json()
    assert (mine["enabled"], mine["account"], mine["my_account"]) == (True, account, f"{account}-{ids[member]}")
    assert treasurer.post(f"groups/{gid}/paybill/").status_code == 403  # the chair's decision
    assert chair.post(f"groups/{gid}/paybill/").json()["account"] == account  # kept for good


def test_a_payment_naming_the_member_pays_their_oldest_due_and_five_deliveries_credit_once(paybill_chama):
    gid, (_chair, _treasurer, member), ids, account = paybill_chama
    before = get_wallet(user_id=member.user.pk, currency="KES").balance
    body = confirmation("RKTQDM7W6S", f"{account.lower()}-{ids[member]}", amount="1500")
    with at("2027-01-05T10:15", NAIROBI):
        for _ in range(5):
            answer = deliver(body)
            assert answer.status_code == 200 and answer.json()["ResultCode"] == 0
    payment = PaybillPayment.objects.get()
    assert (payment.status, payment.membership_id, payment.settled) == ("matched", ids[member], Decimal("1000.00"))
    assert cycle_one(member, gid)["status"] == "paid"
    # 1,500 came in; 1,000 paid the oldest due, 500 waits in the wallet
    assert get_wallet(user_id=member.user.pk, currency="KES").balance == before + Decimal("500.00")
    assert LedgerTransaction.objects.filter(metadata__paybill="RKTQDM7W6S").count() == 3  # in, to wallet, to pot
    assert member.get(f"groups/{gid}/paybill/").json()["payments"][0]["trans_id"] == "RKTQDM7W6S"
    assert ledger_discrepancies() == []


def test_a_payment_from_the_members_own_phone_needs_no_member_number(paybill_chama):
    gid, (_chair, _treasurer, member), ids, account = paybill_chama
    with at("2027-01-05T10:15", NAIROBI):
        answer = deliver(confirmation("RKTQDM7W6T", account, msisdn=member.user.phone_number.lstrip("+")))
        assert answer.status_code == 200
    assert PaybillPayment.objects.get().membership_id == ids[member]
    assert cycle_one(member, gid)["status"] == "paid"


def test_an_unmatched_payment_waits_in_suspense_until_two_officials_assign_it(paybill_chama):
    gid, (chair, treasurer, member), ids, account = paybill_chama
    with at("2027-01-05T10:15", NAIROBI):
        assert deliver(confirmation("RKTQDM7W6U", account, msisdn="254799000111")).status_code == 200
    payment = PaybillPayment.objects.get()
    assert (payment.status, payment.membership_id) == ("suspense", None)
    in_suspense = get_house_account(kind=AccountKind.SUSPENSE, currency="KES").entries
    assert [e.amount for e in in_suspense.filter(transaction__metadata__paybill="RKTQDM7W6U")] == [Decimal("1000.00")]
    assert member.get(f"groups/{gid}/paybill/").json()["payments"] == []  # not theirs
    waiting = treasurer.get(f"groups/{gid}/paybill/").json()["payments"]
    assert [p["status"] for p in waiting] == ["suspense"]
    path = f"groups/{gid}/paybill/payments/{payment.pk}"
    assert member.post(f"{path}/assign/", {"membership": ids[member]}).status_code == 403  # not an official
    proposed = chair.post(f"{path}/assign/", {"membership": ids[member]})
    assert proposed.status_code == 200 and proposed.json()["status"] == "proposed", proposed.json()
    assert chair.post(f"{path}/confirm/").status_code == 403  # maker is not checker
    with at("2027-01-05T12:00", NAIROBI):
        confirmed = treasurer.post(f"{path}/confirm/")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "assigned", confirmed.json()
    assert treasurer.post(f"{path}/confirm/").json()["error"]["code"] == "paybill_state"
    assert cycle_one(member, gid)["status"] == "paid"
    moved = in_suspense.filter(transaction__metadata__paybill="RKTQDM7W6U")
    assert sorted(e.amount for e in moved) == [Decimal("-1000.00"), Decimal("1000.00")]  # in and out once
    assert ledger_discrepancies() == []


def test_a_callback_without_our_token_or_with_a_bad_body_changes_nothing(paybill_chama):
    _gid, _people, _ids, account = paybill_chama
    refused = deliver(confirmation("RKTQDM7W6V", account), token="guess")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "signature_invalid"
    for bad in ({"TransID": "X"}, {**confirmation("RKTQDM7W6W", account), "TransAmount": "-5"}, [1, 2]):
        answer = deliver(bad)
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "validation_error"
    assert not PaybillPayment.objects.exists() and not LedgerTransaction.objects.filter(metadata__has_key="paybill")


def test_a_member_number_that_names_nobody_parks_the_payment_and_never_fails_the_callback(paybill_chama):
    _gid, _people, _ids, account = paybill_chama
    for n, suffix in enumerate(["9" * 40, "²", "12a", ""]):
        with at("2027-01-05T10:15", NAIROBI):
            answer = deliver(confirmation(f"RKTQDM7X{n:02d}", f"{account}-{suffix}"))
        assert answer.status_code == 200 and answer.json()["ResultCode"] == 0, answer.content
    assert set(PaybillPayment.objects.values_list("status", flat=True)) == {"suspense"}
    assert ledger_discrepancies() == []


def test_validation_accepts_only_an_account_that_names_a_running_group(paybill_chama):
    _gid, _people, _ids, account = paybill_chama
    client = APIClient()
    url = f"/api/v1/paybill/mpesa/validation/{TOKEN}/"
    assert client.post(url, confirmation("A", account), format="json").json()["ResultCode"] == "0"
    assert client.post(url, confirmation("A", "NOSUCH"), format="json").json()["ResultCode"] == "C2B00012"


def test_the_sandbox_customer_pays_the_paybill(paybill_chama):
    gid, (_chair, _treasurer, member), ids, account = paybill_chama
    with at("2027-01-05T10:15", NAIROBI):
        answer = APIClient().post(
            "/sandbox/mpesa/paybill/pay/", {"account": f"{account}-{ids[member]}", "amount": "1000"}, format="json"
        )
    assert answer.status_code == 200 and answer.json()["ResultCode"] == 0, answer.content
    assert cycle_one(member, gid)["status"] == "paid"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_receipt_delivered_five_times_at_once_credits_once(paybill_chama):
    _gid, (_chair, _treasurer, member), ids, account = paybill_chama
    body = json.dumps(confirmation("RKTQDM7W6X", f"{account}-{ids[member]}", amount="1000")).encode()
    with at("2027-01-05T10:15", NAIROBI):
        results = run_threads(5, lambda _i: receive_confirmation(body))
    assert all(r == {"ResultCode": 0, "ResultDesc": "Accepted"} for r in results), results
    assert PaybillPayment.objects.count() == 1
    assert Contribution.objects.filter(membership_id=ids[member], status="paid").count() == 1
    assert LedgerTransaction.objects.filter(metadata__paybill="RKTQDM7W6X").count() == 3
    assert ledger_discrepancies() == []


def test_daraja_c2b_documented_payloads():
    parsed = parse_c2b_confirmation(json.dumps(confirmation("RKTQDM7W6S", "ABC123-7", amount="10.00")).encode())
    assert (parsed.trans_id, parsed.amount, parsed.bill_ref, parsed.payer_name) == (
        "RKTQDM7W6S",
        Decimal("10.00"),
        "ABC123-7",
        "John Doe",
    )
    assert parsed.paid_at.isoformat() == "2027-01-05T10:15:00+03:00"
    provider = MpesaProvider(
        MpesaConfig(
            consumer_key="ck",
            consumer_secret="cs",
            shortcode="174379",
            passkey="pk",
            b2c_shortcode="600980",
            initiator_name="testapi",
            security_credential="x",
        )
    )
    base = "https://sandbox.safaricom.co.ke"
    with respx.mock() as router:
        router.get(f"{base}/oauth/v1/generate").respond(200, json={"access_token": "t", "expires_in": "3599"})
        route = router.post(f"{base}/mpesa/c2b/v1/registerurl").respond(
            200,
            json={
                "OriginatorCoversationID": "6e86-45dd-91ac-fd5d4178ab523408729",
                "ResponseCode": "0",
                "ResponseDescription": "success",
            },
        )
        provider.register_c2b_urls(confirmation_url="https://x/c", validation_url="https://x/v")
        sent = json.loads(route.calls.last.request.content)
        assert sent == {
            "ShortCode": "174379",
            "ResponseType": "Completed",
            "ConfirmationURL": "https://x/c",
            "ValidationURL": "https://x/v",
        }
        route.respond(400, json={"requestId": "1", "errorCode": "400.003.02", "errorMessage": "Bad Request"})
        with pytest.raises(ProviderRejectedError):
            provider.register_c2b_urls(confirmation_url="https://x/c", validation_url="https://x/v")


def test_finance_staff_assign_a_payment_that_names_no_group_once_with_a_reason(paybill_chama):
    gid, (_chair, _treasurer, member), ids, _account = paybill_chama
    with at("2027-01-05T10:15", NAIROBI):
        assert deliver(confirmation("RKTQDM7W6V", "NOSUCHACCT", msisdn="254799000112")).status_code == 200
    payment = PaybillPayment.objects.get()
    assert (payment.status, payment.group_id) == ("suspense", None)
    staff = UserFactory(is_staff=True)
    staff.groups.add(Group.objects.get(name="Finance"))
    client = Client()
    action = {"action": "assign_selected", "_selected_action": [payment.pk], "member": ids[member]}
    with at("2027-01-05T12:00", NAIROBI):
        client.force_login(staff)
        page = client.post(PAYBILL_ADMIN, action)
        assert page.status_code == 200 and b"Yes, assign payments" in page.content  # asks for the reason first
        client.post(PAYBILL_ADMIN, {**action, "reason": "payer called with the M-Pesa SMS"})
        again = client.post(PAYBILL_ADMIN, {**action, "reason": "payer called with the M-Pesa SMS"}, follow=True)
    assert any("applied already" in str(m) for m in again.context["messages"])
    payment.refresh_from_db()
    assert (payment.status, payment.membership_id, str(payment.group_id)) == ("assigned", ids[member], str(gid))
    assert cycle_one(member, gid)["status"] == "paid"
    entry = StaffAuditEntry.objects.get()
    assert (entry.action, entry.reason) == ("paybill.assign", "payer called with the M-Pesa SMS")
    assert ledger_discrepancies() == []


def test_staff_cannot_move_a_payment_away_from_the_group_it_names_and_support_cannot_assign(paybill_chama):
    gid, (_chair, _treasurer, member), ids, account = paybill_chama
    with at("2027-01-05T10:15", NAIROBI):
        deliver(confirmation("RKTQDM7W6W", account, msisdn="254799000113"))
    payment = PaybillPayment.objects.get()
    outsider = Membership.objects.exclude(group_id=gid).filter(status="active").first()
    for role, member_id in (("Support", ids[member]), ("Finance", outsider.pk if outsider else 10**9)):
        staff = UserFactory(is_staff=True)
        staff.groups.add(Group.objects.get(name=role))
        client = Client()
        with at("2027-01-05T12:00", NAIROBI):
            client.force_login(staff)
            client.post(
                PAYBILL_ADMIN,
                {
                    "action": "assign_selected",
                    "_selected_action": [payment.pk],
                    "member": member_id,
                    "reason": "a guess",
                },
            )
    payment.refresh_from_db()
    assert payment.status == "suspense" and not StaffAuditEntry.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_staff_assigning_one_payment_at_once_apply_it_once(paybill_chama):
    _gid, (_chair, _treasurer, member), ids, _account = paybill_chama
    with at("2027-01-05T10:15", NAIROBI):
        deliver(confirmation("RKTQDM7W6Y", "NOSUCHACCT", msisdn="254799000114"))
        payment = PaybillPayment.objects.get()
        results = run_threads(
            4, lambda _i: assign_paybill_payment_by_staff(payment_id=payment.pk, membership_id=ids[member])
        )
    assert sum(isinstance(r, PaybillPayment) for r in results) == 1, results
    assert all(isinstance(r, PaybillPayment | PaybillStateError) for r in results), results
    applied = LedgerTransaction.objects.filter(
        metadata__paybill="RKTQDM7W6Y", idempotency_key__startswith="paybill-apply"
    )
    assert applied.count() == 1
    assert ledger_discrepancies() == []
