"""Bill orders: the money flow of a purchase from the wallet.

1. `place_order` validates, checks the KYC limits (payments' own check, with the wallet locked) and, in one
   database transaction, moves the amount wallet → IN_FLIGHT (code = the provider's, e.g. `vtpass`) under the
   ledger key `bill-order:<order id>` and records the order with a fresh provider request_id, counted as sent
   (`attempts` 1): if the call never goes out, the requery finds "no such request", which allows one retry.
2. After commit (no lock held) the purchase is sent once; `apply_result` settles what the answer says:
   - delivered: IN_FLIGHT → PROVIDER_CLEARING `<provider>:out` (`bill-settle:<id>`); token, units, name stored;
   - failed (016, or refused before charging: 091/011/012/030): IN_FLIGHT → wallet at once (`bill-refund:<id>`),
     status `refunded`;
   - pending (processing, timeout, no answer, an unknown answer): nothing moves; the requery job asks again.
3. `check_order` (the requery job) requeries the same request_id with backoff until the answer is final; only a
   definite "no such request" (015) lets ONE retry go out under a new request_id (`attempts` counts them); a
   second "not found" means nothing was ever bought, so the money goes back. Pending over an hour: `flagged_at`.
4. A reversal after delivery (040, or `reversed` on requery) returns the money once: PROVIDER_CLEARING → wallet
   (`bill-reversal:<id>`), status `reversed`.

Commission: the provider's commission (VTPass sells at face value and keeps less from our float) is recorded on the
order (`commission`), not posted. The ledger does not model our float at the provider, so a commission-income
posting would be income with no e-money behind it in the books; `<provider>:out` holds what customers paid out at
face value, which is what `ledger_check` can prove from the orders. The commission is reconciled against the
provider's statement with the float.

Every ledger effect happens at most once: the order row is locked while its status changes, and each posting has a
deterministic idempotency key. Notifications go out after commit.
"""

import logging
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import phonenumbers
from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from billpay import breaker
from billpay.errors import BillInputError, BillProviderError, BillServiceNotFoundError, TokenNotAvailableError
from billpay.models import Biller, BillOrder, CategoryCode, OrderStatus
from billpay.providers import registry
from billpay.providers.base import BillProvider, BillStatus, PurchaseRequest, PurchaseResult
from billpay.selectors import get_biller, get_variation, order_of
from core.money import AmountError, parse_amount
from notifications.rendering import money_text
from notifications.services import notify
from payments.models import AccountKind, LedgerAccount, TransactionKind
from payments.services import (
    Leg,
    get_house_account,
    get_house_accounts,
    get_wallet,
    lock_accounts,
    post_transaction,
)
from payments.services.limits import check_outgoing_limit

logger = logging.getLogger("pamoja.billpay")

MAX_ATTEMPTS = 2  # the first purchase, and one retry after a definite "not found"
FLAG_AFTER = timedelta(hours=1)
FIRST_CHECK_AFTER = timedelta(seconds=60)  # longer than the provider's timeout: never requery a call still running
MAX_CHECK_INTERVAL = timedelta(minutes=30)
# A delivered order is requeried for a reversal at +1 h, +2 h, +4 h, ... while within this window of delivery.
REVERSAL_WATCH = timedelta(hours=48)
FIRST_REVERSAL_CHECK = timedelta(hours=1)
PHONE_CATEGORIES = frozenset({CategoryCode.AIRTIME, CategoryCode.DATA})
ACCOUNT_NUMBER = re.compile(r"^[0-9]{6,20}$")  # a meter, smartcard or candidate number
# The region a local phone number is read in, by the biller's currency.
PHONE_REGIONS = {"NGN": "NG", "KES": "KE", "GHS": "GH", "UGX": "UG", "TZS": "TZ", "RWF": "RW", "ZAR": "ZA"}


def _field_error(field: str, message: str) -> BillInputError:
    return BillInputError(message, details={field: [message]})


def normalize_customer_phone(value: str, *, currency: str) -> str:
    """A phone in E.164, from E.164 or the biller's country's local form (`08011111111` → `+2348011111111`)."""
    text = re.sub(r"[\s()-]", "", value or "")
    try:
        parsed = phonenumbers.parse(text, PHONE_REGIONS.get(currency))
    except phonenumbers.NumberParseException:
        raise _field_error("customer_id", "Enter the phone number to top up.") from None
    if not phonenumbers.is_valid_number(parsed):
        raise _field_error("customer_id", "This phone number is not valid.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def customer_number(*, biller: Biller, customer_id: str) -> str:
    """The number a purchase goes to, in the form we store: airtime and data an E.164 phone (from E.164 or the
    biller's country's local form), everything else a meter, smartcard or candidate number of digits."""
    if biller.category.code in PHONE_CATEGORIES:
        if customer_id in registry.sandbox_test_numbers():
            return customer_id
        return normalize_customer_phone(customer_id, currency=biller.currency)
    number = re.sub(r"\s+", "", customer_id or "")
    if not ACCOUNT_NUMBER.fullmatch(number):
        raise _field_error("customer_id", "Enter the meter, smartcard or account number (digits only).")
    return number


def _order_amount(*, biller: Biller, amount: Any, variation: str | None) -> tuple[Decimal, Any]:
    """(amount, variation row or None): a plan's price is the amount; otherwise the amount sent, at the currency's
    minor unit and within the biller's min/max."""
    variation_row = None
    if variation:
        try:
            variation_row = get_variation(slug=biller.slug, code=variation)
        except BillServiceNotFoundError:
            raise _field_error("variation", "No such plan or bouquet for this service.") from None
    elif getattr(biller, "has_variations", False) and biller.category.code != CategoryCode.ELECTRICITY:
        raise _field_error("variation", "Choose a plan or bouquet for this service.")
    if variation_row is not None and variation_row.fixed_price:
        if amount not in (None, "") and _parsed(amount, biller.currency) != variation_row.amount:
            raise _field_error("amount", f"This plan costs {biller.currency} {variation_row.amount}.")
        return variation_row.amount, variation_row
    if amount in (None, ""):
        raise _field_error("amount", "Enter the amount.")
    value = _parsed(amount, biller.currency)
    if biller.min_amount is not None and value < biller.min_amount:
        raise _field_error("amount", f"The least you can pay is {biller.currency} {biller.min_amount}.")
    if biller.max_amount is not None and value > biller.max_amount:
        raise _field_error("amount", f"The most you can pay is {biller.currency} {biller.max_amount}.")
    return value, variation_row


def _parsed(amount: Any, currency: str) -> Decimal:
    try:
        return parse_amount(amount, currency)
    except AmountError as exc:
        raise _field_error("amount", str(exc)) from None


def place_order(
    *,
    user: Any,
    biller: str,
    customer_id: str,
    amount: Any = None,
    variation: str | None = None,
    provider: BillProvider | None = None,
    authorize: Callable[[], None] | None = None,
) -> BillOrder:
    """Buy from the wallet: hold the money in flight now, send the purchase after commit (see the module doc).

    Errors, each before anything is debited: BillServiceNotFoundError (404) for an unknown or inactive service,
    BillInputError (400) for a bad amount, plan, phone or meter, LimitExceededError (403), InsufficientFundsError
    (422), BillProviderError (503) while the provider's circuit breaker is open. `authorize` (the API's PIN check)
    runs once the order is known to be valid, before anything is debited: a bad order spends no PIN token.
    """
    row = get_biller(slug=biller)
    value, variation_row = _order_amount(biller=row, amount=amount, variation=variation)
    number = customer_number(biller=row, customer_id=customer_id)
    phone = number if row.category.code in PHONE_CATEGORIES else getattr(user, "phone_number", "") or ""

    if authorize is not None:
        authorize()
    provider = provider or registry.get_bill_provider()
    if not breaker.allow(provider.name):
        raise BillProviderError(details={"provider": provider.name, "reason": "circuit_open"})

    order_id = uuid.uuid4()
    with transaction.atomic():
        wallet = get_wallet(user_id=user.pk, currency=row.currency)
        lock_accounts([wallet])
        check_outgoing_limit(user=user, amount=value, currency=row.currency)
        in_flight = get_house_account(kind=AccountKind.IN_FLIGHT, currency=row.currency, code=provider.name)
        hold = post_transaction(
            kind=TransactionKind.BILL,
            legs=[Leg(wallet, -value), Leg(in_flight, value)],
            idempotency_key=f"bill-order:{order_id}",
            reference=str(order_id),
            memo=f"{row.name} for {number}",
            metadata={"bill_order": str(order_id), "service": row.slug},
        )
        order = BillOrder.objects.create(
            id=order_id,
            user=user,
            biller=row,
            variation=variation_row,
            customer_id=number,
            phone=phone,
            amount=value,
            currency=row.currency,
            provider=provider.name,
            request_id=provider.new_request_id(),
            debit_transaction=hold,
            # counted as sent with the hold: if the call never goes out (a crash right after commit), the requery
            # job finds "no such request" (015), which lets exactly one retry go, so nothing is ever sent blind
            attempts=1,
            next_check_at=timezone.now() + FIRST_CHECK_AFTER,
        )
        transaction.on_commit(lambda: _send_after_commit(order, provider))
    return order


def _send_after_commit(order: BillOrder, provider: BillProvider) -> None:
    """The first purchase call, after the hold is committed, with no lock held; `order` (what `place_order`
    returned) is then updated with the outcome. Money is safe whatever happens here: an order left pending is
    requeried by the job, so an error is logged, not raised into the request."""
    try:
        result = provider.pay(_purchase_request(order))
        _record_call(provider, result)
        apply_result(order_id=order.pk, result=result, into=order)
    except Exception:
        logger.exception("bill order %s: the purchase call failed; the requery job will settle it", order.pk)


def _purchase_request(order: BillOrder) -> PurchaseRequest:
    biller = order.biller
    if order.variation_id is not None:
        variation_code = order.variation.code if order.variation else ""
    else:
        variation_code = biller.meter_type
    return PurchaseRequest(
        request_id=order.request_id,
        service_id=biller.service_id,
        billers_code=order.customer_id,
        amount=order.amount,
        phone=order.phone,
        variation_code=variation_code,
        # TV: a bouquet bought by its code is a "change" (VTPass also takes "renew" of the current one)
        subscription_type="change" if biller.category.code == CategoryCode.TV else "",
    )


def _record_call(provider: BillProvider, result: PurchaseResult) -> None:
    if result.code:
        breaker.record_success(provider.name)
    else:  # no usable answer: timeout, no answer, not JSON
        breaker.record_failure(provider.name)


def submit_order(*, order_id: uuid.UUID | str, provider: BillProvider | None = None, retry: bool = False) -> str:
    """Send the purchase: the first time (`attempts` 0), or once more under a new request_id after a definite
    "not found" (`retry`). `attempts` is counted, under the row lock, before the call: a crash mid-call is never
    resent blindly; the requery job asks the provider instead."""
    provider = provider or registry.get_bill_provider()
    with transaction.atomic():
        order = (
            BillOrder.objects.select_for_update(of=("self",))
            .select_related("biller__category", "variation")
            .get(pk=order_id)
        )
        if order.status != OrderStatus.PENDING:
            return "already_final"
        if retry:
            if order.attempts >= MAX_ATTEMPTS:
                return "no_more_attempts"
            history = list(order.provider_response.get("abandoned_request_ids", []))
            order.provider_response = {**order.provider_response, "abandoned_request_ids": [*history, order.request_id]}
            order.request_id = provider.new_request_id()
        elif order.attempts > 0:
            return "already_submitted"
        order.attempts += 1
        order.next_check_at = timezone.now() + FIRST_CHECK_AFTER
        order.save(update_fields=["attempts", "request_id", "provider_response", "next_check_at", "updated_at"])
        request = _purchase_request(order)
    result = provider.pay(request)  # no transaction, no lock
    _record_call(provider, result)
    return apply_result(order_id=order.pk, result=result)


def check_order(*, order_id: uuid.UUID | str, provider: BillProvider | None = None) -> str:
    """Requery an order (the job). Pending and unsent (a crash before the call): send it. Pending and "not found":
    one retry under a new request_id, or after that, the money back. Delivered: watched for a reversal for
    REVERSAL_WATCH (VTPass also announces reversals by callback, which a later issue receives)."""
    provider = provider or registry.get_bill_provider()
    order = BillOrder.objects.get(pk=order_id)
    if order.status not in (OrderStatus.PENDING, OrderStatus.DELIVERED):
        return "already_final"
    if order.status == OrderStatus.PENDING and order.attempts == 0:
        return submit_order(order_id=order.pk, provider=provider)
    request_id = order.request_id
    result = provider.requery(request_id=request_id)
    _record_call(provider, result)
    if result.status == BillStatus.NOT_FOUND and order.status == OrderStatus.PENDING:
        if order.attempts < MAX_ATTEMPTS:
            return submit_order(order_id=order.pk, provider=provider, retry=True)
        return apply_result(
            order_id=order.pk,
            result=PurchaseResult(
                request_id=request_id,
                status=BillStatus.FAILED,
                code=result.code,
                message="The provider has no record of either attempt; nothing was bought.",
                charged=False,
                raw=result.raw,
            ),
        )
    return apply_result(order_id=order.pk, result=result)


def _backoff(checks: int) -> timedelta:
    return min(timedelta(seconds=30 * 2 ** min(checks, 10)), MAX_CHECK_INTERVAL)


def notify_buyer(order: BillOrder, event: str) -> None:
    """Tell the buyer what became of the order: written with the order's change, sent once it commits."""
    notify(
        user=order.user,
        event=event,
        context={
            "service": order.biller.name,
            "customer": order.customer_id,
            "amount": money_text(order.amount, order.currency),
            "token": order.token,
            "units": order.units,
            "order_id": str(order.pk),
        },
        key=f"bill:{order.pk}",
    )


def apply_result(*, order_id: uuid.UUID | str, result: PurchaseResult, into: BillOrder | None = None) -> str:
    """Settle, return or keep waiting, from what the provider said about the order's current request_id. Each
    ledger effect happens at most once (the row lock, the status, and the postings' keys). `into`, an instance of
    the same order the caller holds, is brought up to date with what was saved."""
    with transaction.atomic():
        order = BillOrder.objects.select_for_update(of=("self",)).select_related("biller", "user").get(pk=order_id)
        if result.request_id and result.request_id != order.request_id:
            logger.warning("bill order %s: answer for an abandoned request_id %s ignored", order.pk, result.request_id)
            return "stale"
        answers = list(order.provider_response.get("answers", []))[-9:]
        answer = {"at": timezone.now().isoformat(), "request_id": order.request_id, "status": str(result.status)}
        answer |= {"code": result.code, "message": result.message[:255]}
        order.provider_response = {**order.provider_response, "answers": [*answers, answer], "last": dict(result.raw)}
        fields = ["provider_response", "updated_at"]
        currency, amount = order.currency, order.amount

        def wallet() -> LedgerAccount:
            return get_wallet(user_id=order.user_id, currency=currency)

        def in_flight() -> LedgerAccount:
            return get_house_account(kind=AccountKind.IN_FLIGHT, currency=currency, code=order.provider)

        def clearing() -> LedgerAccount:
            return get_house_account(
                kind=AccountKind.PROVIDER_CLEARING, currency=currency, code=f"{order.provider}:out"
            )

        outcome = "unchanged"

        if order.status == OrderStatus.PENDING and result.status == BillStatus.DELIVERED:
            held, cleared = get_house_accounts(
                (AccountKind.IN_FLIGHT, currency, order.provider),
                (AccountKind.PROVIDER_CLEARING, currency, f"{order.provider}:out"),
            )
            order.settle_transaction = post_transaction(
                kind=TransactionKind.BILL_SETTLEMENT,
                legs=[Leg(held, -amount), Leg(cleared, amount)],
                idempotency_key=f"bill-settle:{order.pk}",
                reference=str(order.pk),
                memo=f"{order.biller.name} delivered",
                metadata={"bill_order": str(order.pk), "request_id": order.request_id},
            )
            order.status = OrderStatus.DELIVERED
            order.delivered_at = timezone.now()
            order.token = result.token[:255]
            order.units = result.units[:64]
            order.customer_name = result.customer_name[:255]
            order.commission = max(result.commission or Decimal("0"), Decimal("0"))
            order.checks = 0
            order.next_check_at = order.delivered_at + FIRST_REVERSAL_CHECK
            fields += ["settle_transaction", "status", "delivered_at", "token", "units", "customer_name", "commission"]
            fields += ["checks", "next_check_at"]
            notify_buyer(order, "bill_delivered")
            outcome = "delivered"

        elif order.status == OrderStatus.PENDING and result.status in (BillStatus.FAILED, BillStatus.REVERSED):
            order.refund_transaction = post_transaction(
                kind=TransactionKind.BILL_RETURN,
                legs=[Leg(in_flight(), -amount), Leg(wallet(), amount)],
                idempotency_key=f"bill-refund:{order.pk}",
                reference=str(order.pk),
                memo=f"{order.biller.name} not delivered; money returned",
                metadata={"bill_order": str(order.pk), "code": result.code},
            )
            order.status = OrderStatus.REFUNDED if result.status == BillStatus.FAILED else OrderStatus.REVERSED
            order.next_check_at = None
            fields += ["refund_transaction", "status", "next_check_at"]
            notify_buyer(order, "bill_refunded")
            outcome = "refunded"

        elif order.status == OrderStatus.DELIVERED and result.status == BillStatus.REVERSED:
            order.refund_transaction = post_transaction(
                kind=TransactionKind.BILL_RETURN,
                legs=[Leg(clearing(), -amount), Leg(wallet(), amount)],
                idempotency_key=f"bill-reversal:{order.pk}",
                reference=str(order.pk),
                memo=f"{order.biller.name} reversed by the provider; money returned",
                metadata={"bill_order": str(order.pk), "code": result.code},
            )
            order.status = OrderStatus.REVERSED
            order.next_check_at = None
            fields += ["refund_transaction", "status", "next_check_at"]
            notify_buyer(order, "bill_refunded")
            outcome = "reversed"

        elif order.status in (OrderStatus.REFUNDED, OrderStatus.REVERSED) and result.status == BillStatus.DELIVERED:
            # The money went back, yet the provider says it delivered: nothing is posted automatically (the wallet
            # may already be spent); staff look at it.
            if order.flagged_at is None:
                order.flagged_at = timezone.now()
                fields.append("flagged_at")
                logger.error("bill order %s: the provider delivered an order whose money was returned", order.pk)
            outcome = "flagged"

        elif order.status == OrderStatus.DELIVERED and order.delivered_at is not None:
            order.checks += 1
            due = timezone.now() + FIRST_REVERSAL_CHECK * 2 ** min(order.checks, 10)
            order.next_check_at = due if due <= order.delivered_at + REVERSAL_WATCH else None
            fields += ["checks", "next_check_at"]

        elif order.status == OrderStatus.PENDING:
            now = timezone.now()
            order.checks += 1
            order.next_check_at = now + _backoff(order.checks)
            fields += ["checks", "next_check_at"]
            if order.flagged_at is None and now - order.created_at > FLAG_AFTER:
                order.flagged_at = now
                fields.append("flagged_at")
                logger.error("bill order %s: pending for over an hour; flagged for staff", order.pk)
            outcome = "still_pending"

        order.save(update_fields=fields)
    if into is not None:
        for name in fields:
            attribute = getattr(BillOrder._meta.get_field(name), "attname", name)  # settle_transaction → _id
            setattr(into, attribute, getattr(order, attribute))
    return outcome


def orders_due_for_check(*, now: Any = None) -> list[uuid.UUID]:
    """Pending orders, and delivered ones still watched for a reversal, whose next requery is due."""
    now = now or timezone.now()
    return list(
        BillOrder.objects.filter(status__in=(OrderStatus.PENDING, OrderStatus.DELIVERED))
        .filter(Q(next_check_at__lte=now) | Q(status=OrderStatus.PENDING, next_check_at__isnull=True))
        .order_by("next_check_at")
        .values_list("pk", flat=True)[:500]
    )


def spent_today(user: User, currency: str, since: datetime) -> QuerySet[BillOrder]:
    """The user's bill orders since `since` whose money left their wallet and did not come back: the daily KYC limit
    sums their amounts with transfers and withdrawals, in one statement (registered in BillPayConfig.ready)."""
    return BillOrder.objects.filter(user=user, currency=currency, created_at__gte=since).exclude(
        status__in=[OrderStatus.FAILED, OrderStatus.REFUNDED, OrderStatus.REVERSED]
    )


# --- what backs the ledger (registered with payments in BillPayConfig.ready) ----------------------------------


def in_flight_backing() -> dict[tuple[str, str], Decimal]:
    """Per (provider, currency): the amounts of orders still pending, which sit in the provider's in-flight."""
    rows = (
        BillOrder.objects.filter(status=OrderStatus.PENDING, debit_transaction__isnull=False)
        .values("provider", "currency")
        .annotate(total=Sum("amount"))
    )
    return {(row["provider"], row["currency"]): row["total"] for row in rows}


def clearing_backing() -> dict[tuple[str, str], Decimal]:
    """Per (`<provider>:out`, currency): the amounts of orders delivered and not reversed."""
    rows = (
        BillOrder.objects.filter(status=OrderStatus.DELIVERED, settle_transaction__isnull=False)
        .values("provider", "currency")
        .annotate(total=Sum("amount"))
    )
    return {(f"{row['provider']}:out", row["currency"]): row["total"] for row in rows}


def resend_token(*, user_id: uuid.UUID, order_id: uuid.UUID | str) -> BillOrder:
    """Send a delivered order's token (electricity, an exam PIN) to its buyer again. TokenNotAvailableError (409)
    when there is none: the order is pending, failed, reversed, or its product has no token."""
    order = order_of(user_id=user_id, order_id=order_id)
    if order.status != OrderStatus.DELIVERED or not order.token:
        raise TokenNotAvailableError(details={"order": str(order.pk), "status": order.outcome})
    notify(
        user=order.user,
        event="bill_token",
        context={
            "service": order.biller.name,
            "customer": order.customer_id,
            "token": order.token,
            "units": order.units,
            "order_id": str(order.pk),
        },
    )
    return order
