"""Saved cards that pay: a deposit (`cards/{id}/deposit/`) and a contribution (`source: card`) charged through the
provider's charge-authorization call, through the sandboxes and through the real Paystack and Flutterwave adapters
over a mocked transport. Each pays once under retries of the same Idempotency-Key and a repeated webhook; a declined
card moves nothing; another user's card is not found; the books balance after each."""

import json
import uuid
from decimal import Decimal

import httpx
import pytest
import respx
from django.conf import settings
from rest_framework.test import APIClient

from contributions.models import Contribution
from groups.models import SavingsGroup
from payments.models import Card, Charge, SandboxPayment
from payments.providers.sandbox import deliver_webhook
from payments.selectors import ledger_discrepancies, wallet_balance
from tests.factories import UserFactory, pin_token
from tests.fixtures.groups import CHAMA, at
from tests.fixtures.money import paystack_webhook

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def money_headers(user) -> dict:
    return {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4()), "HTTP_X_PIN_TOKEN": pin_token(user)}


def checkout_and_save(user, capture, *, provider="paystack", currency="NGN", last4=None) -> dict:
    """A card deposit paid at the sandbox's checkout (with the test card ending `last4`), then the card saved."""
    client = client_for(user)
    with capture(execute=True):
        deposit = client.post(
            "/api/v1/wallet/deposit/",
            {"amount": "100.00", "currency": currency, "provider": provider},
            format="json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        ).json()
        outcome = {"outcome": "success", **({"last4": last4} if last4 else {})}
        APIClient().post(f"/sandbox/{provider}/charges/{deposit['reference']}/complete/", outcome, format="json")
    saved = client.post("/api/v1/cards/", {"reference": deposit["reference"]}, format="json")
    assert saved.status_code == 201, saved.json()
    return saved.json()


def card_deposit(user, card_id, headers, capture, amount="2500.00", currency="NGN"):
    with capture(execute=True):
        return client_for(user).post(
            f"/api/v1/cards/{card_id}/deposit/", {"amount": amount, "currency": currency}, format="json", **headers
        )


def deposit_status(user, reference) -> str:
    return client_for(user).get(f"/api/v1/wallet/deposits/{reference}/").json()["status"]


# --- through the sandboxes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("provider", "last4"), [("paystack", "4081"), ("flutterwave", "2950")])
def test_a_saved_card_pays_a_deposit_once(django_capture_on_commit_callbacks, provider, last4):
    capture = django_capture_on_commit_callbacks
    user = UserFactory()
    card = checkout_and_save(user, capture, provider=provider)
    assert (card["provider"], card["last4"]) == (provider, last4)
    before = wallet_balance(user_id=user.pk, currency="NGN")

    headers = money_headers(user)
    first = card_deposit(user, card["id"], headers, capture)
    assert first.status_code == 201, first.json()
    reference = first.json()["reference"]
    assert deposit_status(user, reference) == "succeeded"
    assert wallet_balance(user_id=user.pk, currency="NGN") == before + Decimal("2500.00")

    again = card_deposit(user, card["id"], headers, capture)  # the same Idempotency-Key: the first answer, as it is now
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert (again.json()["reference"], again.json()["status"]) == (reference, "succeeded")
    record = SandboxPayment.objects.get(provider=provider, reference=reference)
    with capture(execute=True):
        assert deliver_webhook(record=record) == 200  # the provider's webhook, delivered again
    assert Charge.objects.filter(user=user).count() == 2  # the checkout that saved the card, and this one
    assert wallet_balance(user_id=user.pk, currency="NGN") == before + Decimal("2500.00")
    assert ledger_discrepancies() == []


def test_a_declined_card_moves_nothing(django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    user = UserFactory()
    card = checkout_and_save(user, capture, last4="0000")  # the sandbox declines cards ending 0000
    before = wallet_balance(user_id=user.pk, currency="NGN")
    answer = card_deposit(user, card["id"], money_headers(user), capture)
    assert answer.status_code == 201
    charge = Charge.objects.get(reference=answer.json()["reference"])
    assert (charge.status, charge.failure_reason, charge.ledger_transaction) == ("failed", "Declined", None)
    with capture(execute=True):
        deliver_webhook(record=SandboxPayment.objects.get(reference=charge.reference))  # charge.failed, again
    assert wallet_balance(user_id=user.pk, currency="NGN") == before
    assert ledger_discrepancies() == []


def test_another_users_card_is_not_found_and_a_card_can_be_removed(django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    owner, other = UserFactory(), UserFactory()
    card = checkout_and_save(owner, capture)
    theirs = client_for(other)
    assert card_deposit(other, card["id"], money_headers(other), capture).status_code == 404
    assert theirs.delete(f"/api/v1/cards/{card['id']}/").status_code == 404
    assert not Charge.objects.filter(user=other).exists()

    mine = client_for(owner)
    assert mine.delete(f"/api/v1/cards/{card['id']}/").status_code == 204
    assert mine.get("/api/v1/cards/").json() == []
    assert mine.delete(f"/api/v1/cards/{card['id']}/").status_code == 404
    assert card_deposit(owner, card["id"], money_headers(owner), capture).status_code == 404
    assert ledger_discrepancies() == []


def test_a_card_deposit_needs_the_pin_a_currency_the_provider_takes_and_an_unexpired_card(
    django_capture_on_commit_callbacks,
):
    capture = django_capture_on_commit_callbacks
    user = UserFactory()
    card = checkout_and_save(user, capture)
    no_pin = card_deposit(user, card["id"], {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}, capture)
    assert no_pin.status_code == 403 and no_pin.json()["error"]["code"] == "pin_required"
    other_currency = card_deposit(user, card["id"], money_headers(user), capture, amount="500", currency="UGX")
    assert other_currency.json()["error"]["code"] == "provider_not_supported"
    Card.objects.filter(pk=card["id"]).update(exp_year=2020)
    expired = card_deposit(user, card["id"], money_headers(user), capture)
    assert expired.status_code == 422 and expired.json()["error"]["code"] == "card_not_reusable"
    assert Charge.objects.filter(user=user).count() == 1


def pot_balance(member, gid) -> str:
    return member.get(f"groups/{gid}/").json()["pot_balance"]


def pay_by_card(payer, target, card_id, headers, capture):
    with capture(execute=True):
        return payer.api.post(
            f"/api/v1/contributions/{target}/pay/", {"source": "card", "card": card_id}, format="json", **headers
        )


def test_a_saved_card_pays_a_contribution_once(started_group, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    with at("2026-12-01T10:00"):
        group, (chair, payer) = started_group(size=2, **CHAMA)
        gid = group["id"]
        card = checkout_and_save(payer.user, capture, currency="KES")
        before, pot = wallet_balance(user_id=payer.user.pk, currency="KES"), pot_balance(chair, gid)
        target = next(c for c in payer.contributions(gid) if c["cycle"] == 1)["id"]

        headers = money_headers(payer.user)
        answer = pay_by_card(payer, target, card["id"], headers, capture)
        assert answer.status_code == 202, answer.json()
        assert (answer.json()["status"], answer.json()["total"]) == ("pending", "1000.00")
        charge = Charge.objects.get(reference=answer.json()["deposit_reference"])
        assert (charge.status, charge.purpose, charge.provider) == ("succeeded", "contribution", "paystack")
        assert Contribution.objects.get(pk=target).status == "paid"
        assert wallet_balance(user_id=payer.user.pk, currency="KES") == before  # in by card, straight to the pot
        assert Decimal(pot_balance(chair, gid)) == Decimal(pot) + Decimal("1000.00")

        again = pay_by_card(payer, target, card["id"], headers, capture)
        assert again.status_code == 202 and again["Idempotent-Replayed"] == "true"
        with capture(execute=True):
            deliver_webhook(record=SandboxPayment.objects.get(reference=charge.reference))
        assert Charge.objects.filter(purpose="contribution", purpose_id=str(target)).count() == 1
        assert Decimal(pot_balance(chair, gid)) == Decimal(pot) + Decimal("1000.00")
        assert wallet_balance(user_id=payer.user.pk, currency="KES") == before
    assert ledger_discrepancies() == []


def test_a_declined_card_leaves_the_contribution_owed(started_group, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    with at("2026-12-01T10:00"):
        group, (chair, payer) = started_group(size=2, **CHAMA)
        gid = group["id"]
        card = checkout_and_save(payer.user, capture, currency="KES", last4="0000")
        before, pot = wallet_balance(user_id=payer.user.pk, currency="KES"), pot_balance(chair, gid)
        target = next(c for c in payer.contributions(gid) if c["cycle"] == 1)["id"]
        answer = pay_by_card(payer, target, card["id"], money_headers(payer.user), capture)
        assert answer.status_code == 202
        assert Charge.objects.get(reference=answer.json()["deposit_reference"]).status == "failed"
        assert Contribution.objects.get(pk=target).status != "paid"
        assert (wallet_balance(user_id=payer.user.pk, currency="KES"), pot_balance(chair, gid)) == (before, pot)
    assert ledger_discrepancies() == []


def test_a_contribution_card_must_be_mine_and_named(started_group, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    with at("2026-12-01T10:00"):
        group, (chair, payer) = started_group(size=2, **CHAMA)
        chairs_card = checkout_and_save(chair.user, capture, currency="KES")
        target = next(c for c in payer.contributions(group["id"]) if c["cycle"] == 1)["id"]
        assert pay_by_card(payer, target, chairs_card["id"], money_headers(payer.user), capture).status_code == 404
        unnamed = payer.post(f"contributions/{target}/pay/", {"source": "card"}, money=True)
        assert unnamed.status_code == 400 and "card" in unnamed.json()["error"]["details"]
        assert not Charge.objects.filter(purpose="contribution").exists()


# --- through the real adapters, over a mocked transport -----------------------------------------------------------


@pytest.fixture
def real_providers(settings):
    settings.PROVIDERS_SANDBOX = False


def saved(user, provider, code) -> Card:
    return Card.objects.create(
        user=user,
        provider=provider,
        authorization_code=code,
        signature=f"SIG_{code}",
        last4="4081",
        brand="visa",
        exp_month=12,
        exp_year=2030,
    )


def paystack_transaction(sent: dict, status: str = "success") -> dict:
    """Paystack's transaction as charge_authorization and verify describe it, for the charge `sent` asked for."""
    return {
        "id": 4099490251,
        "status": status,
        "reference": sent["reference"],
        "amount": sent["amount"],
        "currency": sent["currency"],
        "gateway_response": "Approved" if status == "success" else "Declined",
        "channel": "card",
        "authorization": {"authorization_code": sent["authorization_code"], "last4": "4081", "reusable": True},
        "customer": {"email": sent["email"]},
    }


@pytest.fixture
def paystack_api(real_providers):
    """Paystack's charge_authorization and verify, answering for whatever charge was last asked for."""
    with respx.mock(assert_all_called=False) as mock:
        asked: dict = {}

        def charge(request):
            asked.update(json.loads(request.content))
            return httpx.Response(
                200, json={"status": True, "message": "Charge attempted", "data": paystack_transaction(asked)}
            )

        base = settings.PAYSTACK_BASE_URL
        mock.post(f"{base}/transaction/charge_authorization").mock(side_effect=charge)
        mock.get(url__regex=rf"{base}/transaction/verify/.+").mock(
            side_effect=lambda request: httpx.Response(
                200, json={"status": True, "message": "Verification successful", "data": paystack_transaction(asked)}
            )
        )
        yield mock, asked


def paystack_success_webhook(asked: dict):
    body, headers = paystack_webhook({"event": "charge.success", "data": paystack_transaction(asked)})
    return APIClient().generic("POST", "/api/v1/webhooks/paystack/", body, "application/json", **headers)


def test_paystack_charge_authorization_pays_a_deposit_once(paystack_api, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    mock, asked = paystack_api
    user = UserFactory()
    card = saved(user, "paystack", "AUTH_72btv547")
    headers = money_headers(user)
    first = card_deposit(user, card.pk, headers, capture, amount="352.47")
    assert first.status_code == 201
    reference = first.json()["reference"]
    assert (asked["reference"], asked["amount"], asked["email"]) == (reference, 35247, user.email)
    assert asked["authorization_code"] == "AUTH_72btv547"
    assert deposit_status(user, reference) == "succeeded"

    assert card_deposit(user, card.pk, headers, capture, amount="352.47")["Idempotent-Replayed"] == "true"
    for _ in range(2):
        assert paystack_success_webhook(asked).status_code == 200
    assert mock.routes[0].call_count == 1  # the card was charged once
    assert wallet_balance(user_id=user.pk, currency="NGN") == Decimal("352.47")
    assert Charge.objects.get(reference=reference).provider_reference == "4099490251"
    assert ledger_discrepancies() == []


def test_a_charge_with_no_answer_waits_for_the_webhook(paystack_api, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    mock, asked = paystack_api
    user = UserFactory()
    card = saved(user, "paystack", "AUTH_72btv547")

    def timeout(request):
        asked.update(json.loads(request.content))
        raise httpx.ReadTimeout("no answer")

    mock.routes[0].mock(side_effect=timeout)
    reference = card_deposit(user, card.pk, money_headers(user), capture).json()["reference"]
    assert deposit_status(user, reference) == "pending"
    assert wallet_balance(user_id=user.pk, currency="NGN") == Decimal("0")
    for _ in range(3):  # the provider charged it after all: its webhook, verified, settles it once
        assert paystack_success_webhook(asked).status_code == 200
    assert deposit_status(user, reference) == "succeeded"
    assert wallet_balance(user_id=user.pk, currency="NGN") == Decimal("2500.00")
    assert ledger_discrepancies() == []


def test_paystack_declines_and_nothing_moves(paystack_api, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    mock, asked = paystack_api

    def declined(request):
        asked.update(json.loads(request.content))
        data = paystack_transaction(asked, status="failed")
        return httpx.Response(200, json={"status": True, "message": "Charge attempted", "data": data})

    mock.routes[0].mock(side_effect=declined)
    user = UserFactory()
    reference = card_deposit(user, saved(user, "paystack", "AUTH_x").pk, money_headers(user), capture).json()[
        "reference"
    ]
    assert deposit_status(user, reference) == "failed"
    assert wallet_balance(user_id=user.pk, currency="NGN") == Decimal("0")
    assert ledger_discrepancies() == []


def test_paystack_card_pays_a_contribution(paystack_api, started_group, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    mock, asked = paystack_api
    with at("2026-12-01T10:00"):
        group, (chair, payer) = started_group(size=2, **CHAMA)
        gid = group["id"]
        card = saved(payer.user, "paystack", "AUTH_payer")
        before, pot = wallet_balance(user_id=payer.user.pk, currency="KES"), pot_balance(chair, gid)
        target = next(c for c in payer.contributions(gid) if c["cycle"] == 1)["id"]
        headers = money_headers(payer.user)
        answer = pay_by_card(payer, target, str(card.pk), headers, capture)
        assert answer.status_code == 202, answer.json()
        assert (asked["amount"], asked["currency"]) == (100000, "KES")
        assert pay_by_card(payer, target, str(card.pk), headers, capture)["Idempotent-Replayed"] == "true"
        assert paystack_success_webhook(asked).status_code == 200
        assert mock.routes[0].call_count == 1
        assert Contribution.objects.get(pk=target).status == "paid"
        assert wallet_balance(user_id=payer.user.pk, currency="KES") == before
        assert Decimal(pot_balance(chair, gid)) == Decimal(pot) + Decimal("1000.00")
        assert SavingsGroup.objects.filter(pk=gid).exists()
    assert ledger_discrepancies() == []


def flutterwave_transaction(sent: dict, status: str = "successful") -> dict:
    return {
        "id": 1163077,
        "tx_ref": sent["tx_ref"],
        "flw_ref": "FLW-M03K-781621ccfe976c03515bcd07a39f3db8",
        "amount": float(sent["amount"]),
        "charged_amount": float(sent["amount"]),
        "currency": sent["currency"],
        "processor_response": "Approved" if status == "successful" else "Declined",
        "status": status,
        "payment_type": "card",
        "customer": {"email": sent["email"]},
        "card": {
            "first_6digits": "553188",
            "last_4digits": "2950",
            "issuer": "MASTERCARD CREDIT",
            "type": "MASTERCARD",
            "expiry": "09/32",
            "token": sent["token"],
        },
    }


@respx.mock
def test_flutterwave_tokenized_charge_pays_a_deposit_once(real_providers, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    base = settings.FLUTTERWAVE_BASE_URL
    asked: dict = {}

    def charge(request):
        asked.update(json.loads(request.content))
        data = flutterwave_transaction(asked)
        return httpx.Response(200, json={"status": "success", "message": "Charge successful", "data": data})

    charged = respx.post(f"{base}/tokenized-charges").mock(side_effect=charge)
    respx.get(f"{base}/transactions/1163077/verify").mock(
        side_effect=lambda request: httpx.Response(
            200, json={"status": "success", "message": "fetched", "data": flutterwave_transaction(asked)}
        )
    )
    user = UserFactory()
    card = saved(user, "flutterwave", "flw-t0-d0185c6edad078c9e8304c4f78b8cd5b-m03k")
    headers = money_headers(user)
    reference = card_deposit(user, card.pk, headers, capture).json()["reference"]
    assert (asked["tx_ref"], asked["amount"], asked["token"]) == (reference, "2500.00", card.authorization_code)
    assert deposit_status(user, reference) == "succeeded"
    assert card_deposit(user, card.pk, headers, capture)["Idempotent-Replayed"] == "true"
    body = json.dumps({"event": "charge.completed", "data": flutterwave_transaction(asked)}).encode()
    for _ in range(2):
        answer = APIClient().generic(
            "POST",
            "/api/v1/webhooks/flutterwave/",
            body,
            "application/json",
            HTTP_VERIF_HASH=settings.FLUTTERWAVE_SECRET_HASH,
        )
        assert answer.status_code == 200
    assert charged.call_count == 1
    assert wallet_balance(user_id=user.pk, currency="NGN") == Decimal("2500.00")
    assert ledger_discrepancies() == []
