"""The README's "Try it" walkthrough as a script (`make demo-tour`, `manage.py demo_tour`): Amina signs in, reads
her wallet, sends Kamau money, pays her next chama contribution, reads the chama's statement and buys airtime;
then Zawadi, the shop's admin, sends a loyalty purchase event and redeems the reward it earned. Every answer's
status and key fields are checked; the first difference stops the tour with what was expected and what came.

Two ways to run it, with the same steps:

- in-process (the default, and the test): Django's test client against this database's demo world, inside one
  transaction rolled back at the end, so the tour can run any number of times and leaves the world as it was.
  Work the requests leave for after commit (the bill's purchase call, notifications) runs at the end of each
  request, and Celery tasks run in-process, as the running server's worker would run them;
- over HTTP (`--base-url http://127.0.0.1:8000`): against `make run`'s server. That changes the world like any
  client would: each run pays Amina's next pending contribution (she has three), and spends a little money.
"""

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TextIO

from accounts.demo import DEMO_PIN, MEMBER_PASSWORD
from demo.world import AIRTIME_NUMBER, CHAMA, LOYALTY_CUSTOMERS, TENANT

API = "/api/v1/"


class TourFailed(AssertionError):
    """A step's answer differed from what the walkthrough says it is."""


@dataclass
class Answer:
    status: int
    body: Any

    def field(self, *path: str | int) -> Any:
        value = self.body
        for key in path:
            try:
                value = value[key]
            except (KeyError, IndexError, TypeError):
                raise TourFailed(f"the answer has no {'.'.join(map(str, path))}: {self.body!r}") from None
        return value


Send = Callable[[str, str, dict[str, Any] | None, dict[str, str]], Answer]


def in_process_sender() -> Send:
    """Requests through Django's test client, each one's after-commit work run before it returns."""
    from django.test import Client, TestCase

    client = Client()

    def send(method: str, path: str, body: dict[str, Any] | None, headers: dict[str, str]) -> Answer:
        with TestCase.captureOnCommitCallbacks(execute=True):
            if method == "GET":
                response = client.get(path, body or {}, headers=headers)
            else:
                response = client.generic(
                    method, path, json.dumps(body or {}), content_type="application/json", headers=headers
                )
        content = response.content
        return Answer(response.status_code, json.loads(content) if content else None)

    return send


def http_sender(base_url: str) -> Send:
    import httpx

    http = httpx.Client(base_url=base_url.rstrip("/"), timeout=30)

    def send(method: str, path: str, body: dict[str, Any] | None, headers: dict[str, str]) -> Answer:
        if method == "GET":
            response = http.get(path, params=body, headers=headers)
        else:
            response = http.request(method, path, json=body or {}, headers=headers)
        return Answer(response.status_code, response.json() if response.content else None)

    return send


@dataclass
class Tour:
    send: Send
    out: TextIO
    token: str = ""
    steps: list[str] = field(default_factory=list)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, *, expect: int, money: bool = False):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if money:
            headers["Idempotency-Key"] = str(uuid.uuid4())
            headers["X-Pin-Token"] = self.pin_token()
        answer = self.send(method, API + path, body, headers)
        if answer.status != expect:
            raise TourFailed(f"{method} {path} answered {answer.status}, not {expect}: {answer.body!r}")
        return answer

    def pin_token(self) -> str:
        answer = self.send(
            "POST", API + "auth/pin/verify/", {"pin": DEMO_PIN}, {"Authorization": f"Bearer {self.token}"}
        )
        if answer.status != 200:
            raise TourFailed(f"POST auth/pin/verify/ answered {answer.status}, not 200: {answer.body!r}")
        return str(answer.field("pin_token"))

    def check(self, condition: bool, what: str, answer: Answer | None = None) -> None:
        if not condition:
            raise TourFailed(what + (f": {answer.body!r}" if answer is not None else ""))

    def done(self, what: str) -> None:
        self.steps.append(what)
        self.out.write(f"  ok  {len(self.steps)}. {what}\n")

    def sign_in(self, email: str) -> Answer:
        self.token = ""
        answer = self.call("POST", "auth/login/", {"email": email, "password": MEMBER_PASSWORD}, expect=200)
        self.check(answer.field("user", "email") == email, f"signed in as someone else than {email}", answer)
        self.token = str(answer.field("access"))
        return answer


def balances(answer: Answer) -> dict[str, Decimal]:
    return {wallet["currency"]: Decimal(wallet["balance"]) for wallet in answer.field("wallets")}


def rows(answer: Answer) -> list[dict[str, Any]]:
    """A list answer's rows, paginated (`results`) or not."""
    body = answer.body
    return list(body["results"] if isinstance(body, dict) and "results" in body else body or [])


def find(answer: Answer, name: str) -> str:
    found = [row["id"] for row in rows(answer) if row.get("name") == name]
    if not found:
        raise TourFailed(f"{name!r} is not in the list: run `manage.py seed_demo` (or `make run`) first")
    return str(found[0])


def run_tour(tour: Tour) -> list[str]:
    """The walkthrough, step by step (README "Try it" says the same in words). Returns the steps done."""
    # 1. Amina signs in, and finds her chama's id.
    tour.sign_in("amina@pamoja.local")
    chama = find(tour.call("GET", "groups/", expect=200), CHAMA)
    tour.done(f"POST auth/login/ as amina@pamoja.local: 200 with an access token; GET groups/: {CHAMA} is {chama}")

    # 2. Her wallets: KES and NGN, both with money.
    before = balances(tour.call("GET", "wallet/", expect=200))
    tour.check(before.get("KES", 0) > 1000 and before.get("NGN", 0) > 1000, f"wallets not funded: {before}")
    tour.done(f"GET wallet/: 200, KES {before['KES']} and NGN {before['NGN']}")

    # 3. KES 250 to Kamau, with a PIN token and an Idempotency-Key.
    transfer = tour.call(
        "POST",
        "wallet/transfer/",
        {"amount": "250.00", "currency": "KES", "recipient": "kamau@pamoja.local", "note": "for the penalty"},
        expect=201,
        money=True,
    )
    tour.check(transfer.field("amount") == "250.00" and transfer.field("currency") == "KES", "transfer", transfer)
    after = balances(tour.call("GET", "wallet/", expect=200))
    tour.check(after["KES"] == before["KES"] - Decimal("250.00"), f"KES after the transfer is {after['KES']}")
    tour.done(f"POST wallet/transfer/ KES 250.00 to kamau@: 201 {transfer.field('status')}; KES now {after['KES']}")

    # 4. Her next chama contribution, from the wallet.
    pending = tour.call("GET", "contributions/", {"group": chama, "status": "pending"}, expect=200)
    results = sorted(pending.field("results"), key=lambda c: c["due_date"])
    tour.check(bool(results), "Amina has no pending contribution left in the chama", pending)
    contribution = results[0]
    paid = tour.call("POST", f"contributions/{contribution['id']}/pay/", {"source": "wallet"}, expect=200, money=True)
    tour.check(paid.field("status") == "paid", "the contribution is not paid", paid)
    tour.check(paid.field("total") == "2000.00", "the payment is not KES 2,000", paid)
    after_pay = balances(tour.call("GET", "wallet/", expect=200))
    tour.check(after_pay["KES"] == after["KES"] - Decimal("2000.00"), f"KES after paying is {after_pay['KES']}")
    tour.done(f"POST contributions/{contribution['id']}/pay/ (due {contribution['due_date']}): 200 paid, KES 2,000.00")

    # 5. The chama's statement: the pot's money in and out, movement by movement, adding up to its balance.
    statement = tour.call("GET", f"groups/{chama}/statement/", expect=200)
    movements = statement.field("movements")
    kinds = {m["kind"] for m in movements}
    tour.check({"contribution", "payout"} <= kinds, f"the statement has no contributions or payout ({kinds})")
    total = Decimal(statement.field("opening_balance")) + sum((Decimal(m["amount"]) for m in movements), Decimal(0))
    closing = Decimal(statement.field("closing_balance"))
    tour.check(total == closing, f"the statement's movements add up to {total}, not its closing balance {closing}")
    tour.done(f"GET groups/{{id}}/statement/: 200, {len(movements)} movements, the pot closes at KES {closing}")

    # 6. Airtime: NGN 200 of MTN for VTPass's sandbox number, delivered at once.
    services = tour.call("GET", "bills/services/", {"category": "airtime"}, expect=200)
    tour.check("mtn" in {s["id"] for s in services.field("results")}, "MTN airtime is not in the catalog", services)
    order = tour.call(
        "POST",
        "bills/orders/",
        {"service": "mtn", "customer_id": AIRTIME_NUMBER, "amount": "200"},
        expect=201,
        money=True,
    )
    tour.check(order.field("amount") == "200.00" and order.field("currency") == "NGN", "bill order", order)
    status = order.field("status")
    if status == "pending":  # over HTTP the purchase may still be going out
        status = tour.call("GET", f"bills/orders/{order.field('id')}/", expect=200).field("status")
    tour.check(status == "delivered", f"the airtime was not delivered ({status})", order)
    tour.done("POST bills/orders/ MTN airtime NGN 200.00: 201 delivered")

    # 7. Zawadi, the shop's admin: a purchase of KES 1,500 earns Otieno 10% off.
    tour.sign_in("zawadi@pamoja.local")
    tenant = find(tour.call("GET", "loyalty/tenants/", expect=200), TENANT)
    customer = LOYALTY_CUSTOMERS[1][0]
    event = tour.call(
        "POST",
        f"loyalty/tenants/{tenant}/events/",
        {
            "customer": customer,
            "event_type": "purchase",
            "event_data": {"amount": 1500},
            "idempotency_key": f"tour-{uuid.uuid4()}",
        },
        expect=201,
    )
    issuances = event.field("issuances")
    tour.check(len(issuances) == 1 and issuances[0]["state"] == "issued", "no reward issued", event)
    issuance = issuances[0]
    tour.done(f"POST loyalty/tenants/{{tid}}/events/ purchase KES 1500 for {customer}: 201, one reward issued")

    # 8. The customer shows the reward at the till: redeemed, once.
    body = {"code": issuance["code"]} if issuance.get("code") else {}
    redeemed = tour.call("POST", f"loyalty/tenants/{tenant}/issuances/{issuance['id']}/redeem/", body, expect=200)
    tour.check(redeemed.field("state") == "redeemed", "the reward is not redeemed", redeemed)
    again = tour.call("POST", f"loyalty/tenants/{tenant}/issuances/{issuance['id']}/redeem/", body, expect=409)
    tour.check(again.field("error", "code") == "issuance_state", "a second redemption was not refused", again)
    tour.done("POST loyalty/tenants/{tid}/issuances/{id}/redeem/: 200 redeemed; again: 409 issuance_state")
    return tour.steps


@contextmanager
def in_process_world() -> Iterator[None]:
    """One transaction for the whole tour, rolled back at the end; Celery tasks run in-process and the sandboxes
    deliver their webhooks through the test client (nothing is queued for a worker that would find it gone); the
    emails it would send are kept in memory, not printed."""
    from django.db import transaction
    from django.test.utils import override_settings

    from config.celery import app as celery_app

    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with (
            override_settings(
                SANDBOX_DELIVERY="inprocess",
                SANDBOX_STK_DELAY=0,
                EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",  # the mails of a tour that never was
            ),
            transaction.atomic(),
        ):
            yield
            transaction.set_rollback(True)
    finally:
        celery_app.conf.task_always_eager = eager


def tour_in_process(*, out: TextIO) -> list[str]:
    with in_process_world():
        return run_tour(Tour(send=in_process_sender(), out=out))


def tour_over_http(*, base_url: str, out: TextIO) -> list[str]:
    return run_tour(Tour(send=http_sender(base_url), out=out))
