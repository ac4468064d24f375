"""VTPass's sandbox, offline: the real adapter over an in-process transport that answers VTPass's own protocol
(paths, auth headers, response codes, payload shapes), keeps its purchases in `SandboxBillTransaction`, and serves
a realistic catalog. Because the real adapter reads every answer, the sandbox exercises the same parsing code.

VTPass's own test numbers (its documentation's MTN VTU and IKEDC pages); phones may be E.164 or local:
- `08011111111` (airtime, data): delivered.
- meters `1111111111111` (prepaid, with a token) and `1010101010101` (postpaid): delivered; the wrong meter type fails.
- smartcard `1212121212` (TV): delivered.
- `201000000000`: pending until `complete_transaction(request_id=…, outcome="delivered" | "failed" | "reversed")`.
- `300000000000` times out, `400000000000` gives no answer, `500000000000` gives an unexpected answer: in all three
  the purchase is recorded as delivered, so only a requery finds out.
- any other number: failed (016).
"""

import json
import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from billpay.errors import (
    SandboxOutcomeInvalidError,
    SandboxTransactionNotFoundError,
    SandboxTransactionStateError,
)
from billpay.models import SandboxBillTransaction
from billpay.providers.vtpass.adapter import VTPassConfig, VTPassProvider, local_phone
from core.sandbox_delivery import deliver

logger = logging.getLogger("pamoja.billpay")

SANDBOX_HOST = "https://sandbox.vtpass.com/api/"

DELIVERS_PHONE = "08011111111"
PREPAID_METER = "1111111111111"
POSTPAID_METER = "1010101010101"
SMARTCARD = "1212121212"
PENDING_NUMBER = "201000000000"
TIMEOUT_NUMBER = "300000000000"
NO_ANSWER_NUMBER = "400000000000"
UNEXPECTED_NUMBER = "500000000000"
LATE_NUMBERS = frozenset({TIMEOUT_NUMBER, NO_ANSWER_NUMBER, UNEXPECTED_NUMBER})
SPECIAL_NUMBERS = LATE_NUMBERS | {PENDING_NUMBER}

TARIFF_PER_KWH = Decimal("209.50")
# Public, sandbox-only values: the in-process VTPass checks that the right headers are present, not their values.
SANDBOX_CONFIG = VTPassConfig(api_key="sandbox", public_key="PK_sandbox", secret_key="SK_sandbox")  # noqa: S106


@dataclass(frozen=True)
class SandboxService:
    service_id: str
    name: str
    category: str  # VTPass's identifier
    min_amount: str
    max_amount: str
    commission_percent: str
    variations: tuple[tuple[str, str, str, bool], ...] = ()  # (code, name, amount, fixed price)


CATEGORIES = [
    ("airtime", "Airtime Recharge"),
    ("data", "Data Services"),
    ("tv-subscription", "TV Subscription"),
    ("electricity-bill", "Electricity Bill"),
    ("education", "Education"),
    ("other-services", "Other Merchants/Services"),
]

_METER_TYPES = (("prepaid", "Prepaid", "0.00", False), ("postpaid", "Postpaid", "0.00", False))
_DISCOS = [
    ("ikeja-electric", "Ikeja Electric Payment - IKEDC"),
    ("eko-electric", "Eko Electric Payment - EKEDC"),
    ("abuja-electric", "Abuja Electricity Distribution Company- AEDC"),
    ("kano-electric", "KEDCO - Kano Electric"),
    ("portharcourt-electric", "PHED - Port Harcourt Electric"),
    ("jos-electric", "Jos Electric - JED"),
    ("kaduna-electric", "Kaduna Electric - KAEDCO"),
    ("enugu-electric", "Enugu Electric - EEDC"),
    ("ibadan-electric", "IBEDC - Ibadan Electricity Distribution Company"),
    ("benin-electric", "Benin Electricity - BEDC"),
    ("aba-electric", "Aba Electric Payment - ABEDC"),
    ("yola-electric", "Yola Electric Disco Payment - YEDC"),
]


def _data_plans(prefix: str, plans: list[tuple[str, str, str]]) -> tuple[tuple[str, str, str, bool], ...]:
    return tuple((f"{prefix}-{code}", name, amount, True) for code, name, amount in plans)


SERVICES: dict[str, SandboxService] = {
    service.service_id: service
    for service in [
        SandboxService("mtn", "MTN Airtime VTU", "airtime", "50", "50000", "3.0"),
        SandboxService("glo", "GLO Airtime VTU", "airtime", "50", "50000", "4.0"),
        SandboxService("airtel", "Airtel Airtime VTU", "airtime", "50", "50000", "3.4"),
        SandboxService("etisalat", "9mobile Airtime VTU", "airtime", "50", "50000", "4.0"),
        SandboxService(
            "mtn-data",
            "MTN Data",
            "data",
            "1",
            "100000",
            "3.0",
            _data_plans(
                "mtn",
                [
                    ("100mb-100", "N100 100MB - 24 hrs", "100.00"),
                    ("1gb-350", "N350 1GB - 1 day", "350.00"),
                    ("2gb-1200", "N1,200 2GB - 30 days", "1200.00"),
                    ("7gb-3500", "N3,500 7GB - 30 days", "3500.00"),
                    ("20gb-7500", "N7,500 20GB - 30 days", "7500.00"),
                ],
            ),
        ),
        SandboxService(
            "glo-data",
            "Glo Data",
            "data",
            "1",
            "100000",
            "4.0",
            _data_plans(
                "glo",
                [
                    ("1gb-300", "Glo 1GB - 1 day", "300.00"),
                    ("2.9gb-1000", "Glo 2.9GB - 30 days", "1000.00"),
                    ("10gb-3000", "Glo 10GB - 30 days", "3000.00"),
                ],
            ),
        ),
        SandboxService(
            "airtel-data",
            "Airtel Data",
            "data",
            "1",
            "100000",
            "3.4",
            _data_plans(
                "airt",
                [
                    ("1gb-350", "Airtel 1GB - 1 day", "350.00"),
                    ("3gb-1500", "Airtel 3GB - 30 days", "1500.00"),
                    ("10gb-4000", "Airtel 10GB - 30 days", "4000.00"),
                ],
            ),
        ),
        SandboxService(
            "etisalat-data",
            "9mobile Data",
            "data",
            "1",
            "100000",
            "4.0",
            _data_plans(
                "eti",
                [
                    ("1gb-1000", "9mobile 1GB - 30 days", "1000.00"),
                    ("4.5gb-2000", "9mobile 4.5GB - 30 days", "2000.00"),
                ],
            ),
        ),
        *[
            SandboxService(sid, name, "electricity-bill", "1000", "500000", "1.0", _METER_TYPES)
            for sid, name in _DISCOS
        ],
        SandboxService(
            "dstv",
            "DSTV Subscription",
            "tv-subscription",
            "1",
            "1000000",
            "1.5",
            (
                ("dstv-padi", "DStv Padi N4,400", "4400.00", True),
                ("dstv-yanga", "DStv Yanga N6,000", "6000.00", True),
                ("dstv-confam", "DStv Confam N11,000", "11000.00", True),
                ("dstv79", "DStv Compact N19,000", "19000.00", True),
                ("dstv7", "DStv Compact Plus N30,000", "30000.00", True),
                ("dstv3", "DStv Premium N44,500", "44500.00", True),
            ),
        ),
        SandboxService(
            "gotv",
            "Gotv Payment",
            "tv-subscription",
            "1",
            "1000000",
            "1.5",
            (
                ("gotv-smallie", "GOtv Smallie N1,900", "1900.00", True),
                ("gotv-jinja", "GOtv Jinja N3,900", "3900.00", True),
                ("gotv-jolli", "GOtv Jolli N5,800", "5800.00", True),
                ("gotv-max", "GOtv Max N8,500", "8500.00", True),
                ("gotv-supa", "GOtv Supa N11,400", "11400.00", True),
            ),
        ),
        SandboxService(
            "startimes",
            "Startimes Subscription",
            "tv-subscription",
            "1",
            "1000000",
            "2.0",
            (
                ("nova", "Nova - 1 Month N1,900", "1900.00", True),
                ("basic", "Basic - 1 Month N3,700", "3700.00", True),
                ("smart", "Smart - 1 Month N4,700", "4700.00", True),
                ("classic", "Classic - 1 Month N5,500", "5500.00", True),
                ("super", "Super - 1 Month N9,000", "9000.00", True),
            ),
        ),
        SandboxService(
            "showmax",
            "ShowMax",
            "tv-subscription",
            "1",
            "1000000",
            "1.5",
            (
                ("mobile_only", "Showmax Mobile - N1,600", "1600.00", True),
                ("full", "Showmax Full - N3,500", "3500.00", True),
                ("sports_mobile_only", "Showmax Premier League Mobile - N3,200", "3200.00", True),
            ),
        ),
        SandboxService(
            "waec",
            "WAEC Result Checker PIN",
            "education",
            "1",
            "1000000",
            "2.0",
            (("waecdirect", "WAEC Result Checker PIN", "3900.00", True),),
        ),
    ]
}


def _number(value: Any) -> str:
    """A customer number as the test numbers are written: phones in local form, anything else digits as given."""
    text = str(value or "").strip()
    return local_phone(text) if text.startswith("+") or (text.startswith("234") and len(text) == 13) else text


def _json(data: Mapping[str, Any], status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=data)


class VTPassSandbox(VTPassProvider):
    """The default with PROVIDERS_SANDBOX: the real adapter, talking to the in-process VTPass below."""

    def __init__(self, config: VTPassConfig | None = None):
        config = config or SANDBOX_CONFIG
        super().__init__(config, client=httpx.Client(transport=httpx.MockTransport(self._serve)))

    # --- the in-process VTPass -------------------------------------------------------------------------------

    def _serve(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        if request.method == "GET":
            if not (request.headers.get("api-key") and request.headers.get("public-key")):
                return _json({"response_description": "087", "content": {"errors": "INVALID CREDENTIALS"}}, 401)
            params = request.url.params
            if path == "service-categories":
                return self._categories()
            if path == "services":
                return self._services(params.get("identifier", ""))
            if path == "service-variations":
                return self._variations(params.get("serviceID", ""))
            return _json({"response_description": "404", "content": {"errors": "Not found"}}, 404)
        if not (request.headers.get("api-key") and request.headers.get("secret-key")):
            return _json({"code": "087", "response_description": "INVALID CREDENTIALS"}, 401)
        try:
            payload = json.loads(request.content or b"{}")
        except ValueError:
            return _json({"code": "011", "response_description": "INVALID ARGUMENTS"})
        if path == "merchant-verify":
            return self._verify(payload)
        if path == "pay":
            return self._pay(request, payload)
        if path == "requery":
            return self._requery(str(payload.get("request_id", "")))
        return _json({"code": "404", "response_description": "NOT FOUND"}, 404)

    def _categories(self) -> httpx.Response:
        content = [{"identifier": identifier, "name": name} for identifier, name in CATEGORIES]
        return _json({"response_description": "000", "content": content})

    def _services(self, identifier: str) -> httpx.Response:
        content = [
            {
                "serviceID": service.service_id,
                "name": service.name,
                "minimium_amount": service.min_amount,
                "maximum_amount": service.max_amount,
                "convinience_fee": "0 %",
                "product_type": "fix" if service.category in ("data", "tv-subscription", "education") else "flexible",
                "image": f"https://sandbox.vtpass.com/resources/products/200X200/{service.service_id}.jpg",
            }
            for service in SERVICES.values()
            if service.category == identifier
        ]
        return _json({"response_description": "000", "content": content})

    def _variations(self, service_id: str) -> httpx.Response:
        service = SERVICES.get(service_id)
        if service is None:
            return _json({"response_description": "012", "content": {"errors": "PRODUCT DOES NOT EXIST"}})
        content = {
            "ServiceName": service.name,
            "serviceID": service.service_id,
            "convinience_fee": "N0.00",
            "variations": [
                {
                    "variation_code": code,
                    "name": name,
                    "variation_amount": amount,
                    "fixedPrice": "Yes" if fixed else "No",
                }
                for code, name, amount, fixed in service.variations
            ],
        }
        return _json({"response_description": "000", "content": content})

    def _verify(self, payload: Mapping[str, Any]) -> httpx.Response:
        service = SERVICES.get(str(payload.get("serviceID", "")))
        number = _number(payload.get("billersCode"))
        if service is None or service.category not in ("electricity-bill", "tv-subscription") or not number:
            return _json({"code": "011", "response_description": "INVALID ARGUMENTS", "content": {}})
        if service.category == "electricity-bill":
            meter_type = str(payload.get("type", "")).lower()
            wanted = {"prepaid": PREPAID_METER, "postpaid": POSTPAID_METER}.get(meter_type)
            if number != wanted and number not in SPECIAL_NUMBERS:
                return _json(
                    {
                        "code": "000",
                        "content": {
                            "error": f"This meter is not correct or is not a valid {service.name} {meter_type} meter. "
                            "Please check and try again",
                            "WrongBillersCode": True,
                        },
                    }
                )
            return _json(
                {
                    "code": "000",
                    "content": {
                        "Customer_Name": "TESTMETER1",
                        "Account_Number": None,
                        "Meter_Number": number,
                        "Business_Unit": "",
                        "Address": "ABULE - EGBA BU ABULE",
                        "Customer_Arrears": "",
                        "Min_Purchase_Amount": 1000,
                        "Can_Vend": "yes",
                        "Meter_Type": meter_type.upper(),
                        "WrongBillersCode": False,
                        "commission_details": {
                            "amount": None,
                            "rate": service.commission_percent,
                            "rate_type": "percent",
                        },
                    },
                }
            )
        if number != SMARTCARD and number not in SPECIAL_NUMBERS:
            return _json(
                {
                    "code": "000",
                    "content": {
                        "error": "Invalid Smartcard Number. Please check and try again",
                        "WrongBillersCode": True,
                    },
                }
            )
        bouquet_code, bouquet, renewal, _fixed = service.variations[min(3, len(service.variations) - 1)]
        due = (timezone.localdate() + timedelta(days=12)).isoformat()
        return _json(
            {
                "code": "000",
                "content": {
                    "Customer_Name": "TEST SMARTCARD",
                    "Status": "ACTIVE",
                    "Due_Date": f"{due}T00:00:00",
                    "Customer_Number": number,
                    "Customer_Type": service.service_id.upper(),
                    "Current_Bouquet": bouquet,
                    "Current_Bouquet_Code": bouquet_code,
                    "Renewal_Amount": renewal,
                    "WrongBillersCode": False,
                },
            }
        )

    def _pay(self, request: httpx.Request, payload: Mapping[str, Any]) -> httpx.Response:
        request_id = str(payload.get("request_id", ""))
        if len(request_id) < 12 or not request_id[:12].isdigit():
            return _json({"code": "085", "response_description": "IMPROPER REQUEST ID"})
        service = SERVICES.get(str(payload.get("serviceID", "")))
        if service is None:
            return _json({"code": "012", "response_description": "PRODUCT DOES NOT EXIST"})
        number = _number(payload.get("billersCode") or payload.get("phone"))
        variation_code = str(payload.get("variation_code") or "")
        variation = next((v for v in service.variations if v[0] == variation_code), None)
        if service.variations and variation is None:
            return _json({"code": "010", "response_description": "VARIATION CODE DOES NOT EXIST"})
        amount = Decimal(variation[2]) if variation and variation[3] else _amount(payload.get("amount"))
        if amount is None or amount <= 0 or not number:
            return _json({"code": "011", "response_description": "INVALID ARGUMENTS"})
        if amount < Decimal(service.min_amount):
            return _json({"code": "013", "response_description": "BELOW MINIMUM AMOUNT ALLOWED"})
        if amount > Decimal(service.max_amount):
            return _json({"code": "017", "response_description": "ABOVE MAXIMUM AMOUNT ALLOWED"})

        status = self._outcome(service, number, variation_code)
        try:
            with transaction.atomic():
                record = SandboxBillTransaction.objects.create(
                    request_id=request_id,
                    transaction_id=f"{timezone.now():%Y%m%d%H%M%S}{secrets.randbelow(10**8):08d}",
                    service_id=service.service_id,
                    billers_code=number,
                    variation_code=variation_code,
                    phone=_number(payload.get("phone")),
                    amount=amount,
                    status=status,
                    details=self._delivery_details(service, number, variation_code, amount),
                )
        except IntegrityError:
            return _json({"code": "014", "response_description": "REQUEST ID ALREADY EXIST"})
        if number == TIMEOUT_NUMBER:
            raise httpx.ReadTimeout("The read operation timed out", request=request)
        if number == NO_ANSWER_NUMBER:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        if number == UNEXPECTED_NUMBER:
            return httpx.Response(502, text="<html><body><h1>502 Bad Gateway</h1></body></html>")
        return self._answer(record)

    def _requery(self, request_id: str) -> httpx.Response:
        record = SandboxBillTransaction.objects.filter(request_id=request_id).first()
        if record is None:
            return _json({"code": "015", "response_description": "INVALID REQUEST ID", "content": {"errors": []}})
        return self._answer(record)

    @staticmethod
    def _outcome(service: SandboxService, number: str, variation_code: str) -> str:
        if number == PENDING_NUMBER:
            return SandboxBillTransaction.Status.PENDING
        if number in LATE_NUMBERS or number in (DELIVERS_PHONE, SMARTCARD):
            return SandboxBillTransaction.Status.DELIVERED
        if (number, variation_code) in ((PREPAID_METER, "prepaid"), (POSTPAID_METER, "postpaid")):
            return SandboxBillTransaction.Status.DELIVERED
        return SandboxBillTransaction.Status.FAILED

    @staticmethod
    def _delivery_details(service: SandboxService, number: str, variation_code: str, amount: Decimal) -> dict[str, Any]:
        """What the answer carries beyond the transaction: an electricity token and units, a WAEC PIN."""
        if service.category == "electricity-bill" and variation_code == "prepaid":
            token = " ".join(f"{secrets.randbelow(10**4):04d}" for _ in range(5))
            return {
                "purchased_code": f"Token : {token}",
                "token": f"Token : {token}",
                "units": f"{(amount / TARIFF_PER_KWH).quantize(Decimal('0.1'))} kWh",
                "tokenAmount": format(amount, "f"),
                "customerName": "TESTMETER1",
                "customerAddress": "ABULE - EGBA BU ABULE",
                "meterNumber": number,
                "tariff": "R2 SINGLE PHASE",
                "exchangeReference": f"EXR{secrets.randbelow(10**10):010d}",
            }
        if service.category == "electricity-bill":
            return {
                "purchased_code": "",
                "customerName": "TESTMETER1",
                "utilityName": service.name,
                "exchangeReference": f"EXR{secrets.randbelow(10**10):010d}",
                "balance": "0.00",
            }
        if service.category == "education":
            serial, pin = f"WRN{secrets.randbelow(10**9):09d}", f"{secrets.randbelow(10**12):012d}"
            return {"purchased_code": f"Serial No:{serial}, pin: {pin}", "cards": [{"Serial": serial, "Pin": pin}]}
        return {"purchased_code": ""}

    def _answer(self, record: SandboxBillTransaction) -> httpx.Response:
        service = SERVICES[record.service_id]
        status = record.status
        details = record.details if status == SandboxBillTransaction.Status.DELIVERED else {"purchased_code": ""}
        commission = (record.amount * Decimal(service.commission_percent) / 100).quantize(Decimal("0.01"))
        transactions = {
            "status": status,
            "product_name": service.name,
            "unique_element": record.billers_code,
            "unit_price": format(record.amount, "f"),
            "quantity": 1,
            "service_verification": None,
            "channel": "api",
            "commission": format(commission, "f"),
            "total_amount": format(record.amount - commission, "f"),
            "discount": None,
            "type": service.category,
            "email": "sandbox@vtpass.com",
            "phone": record.phone,
            "name": details.get("customerName"),
            "convinience_fee": 0,
            "amount": format(record.amount, "f"),
            "platform": "api",
            "method": "api",
            "transactionId": record.transaction_id,
        }
        if status == SandboxBillTransaction.Status.FAILED:
            code, description = "016", "TRANSACTION FAILED"
        elif status == SandboxBillTransaction.Status.PENDING:
            code, description = "099", "TRANSACTION IS PROCESSING"
        else:
            code, description = "000", "TRANSACTION SUCCESSFUL"
        return _json(
            {
                "code": code,
                "content": {"transactions": transactions},
                "response_description": description,
                "requestId": record.request_id,
                "amount": format(record.amount, "f"),
                "transaction_date": record.created_at.isoformat(),
                **details,
            }
        )

    # --- the control surface: POST /sandbox/vtpass/transactions/{request_id}/complete/ ----------------------------

    @staticmethod
    def complete_transaction(*, request_id: str, outcome: str) -> SandboxBillTransaction:
        """End a sandbox purchase: a pending one `delivered` or `failed`; a pending or delivered one `reversed`.
        Asking again for the outcome it already has changes nothing."""
        Status = SandboxBillTransaction.Status
        allowed = {
            Status.DELIVERED: {Status.PENDING},
            Status.FAILED: {Status.PENDING},
            Status.REVERSED: {Status.PENDING, Status.DELIVERED},
        }
        if outcome not in allowed:
            raise SandboxOutcomeInvalidError(details={"outcome": ["Must be delivered, failed or reversed."]})
        with transaction.atomic():
            record = SandboxBillTransaction.objects.select_for_update().filter(request_id=request_id).first()
            if record is None:
                raise SandboxTransactionNotFoundError(details={"request_id": request_id})
            if record.status == outcome:
                return record
            if record.status not in allowed[Status(outcome)]:
                raise SandboxTransactionStateError(
                    f"The sandbox transaction is {record.status}; it cannot become {outcome}.",
                    details={"request_id": request_id, "status": record.status},
                )
            record.status = outcome
            record.save(update_fields=["status", "updated_at"])
        VTPassSandbox()._announce(record)
        return record

    def _announce(self, record: SandboxBillTransaction) -> None:
        """Like VTPass when its staff resolve a transaction: a `transaction-update` callback to our webhook URL,
        its data the requery answer. Our endpoint requeries before acting, so this only makes the update quick."""
        body = json.dumps({"type": "transaction-update", "data": self._answer(record).json()}).encode()
        url = settings.SITE_URL + reverse("webhook-vtpass", args=[settings.VTPASS_CALLBACK_TOKEN])
        try:
            status = deliver(url, body, {})
        except httpx.HTTPError:
            logger.warning("sandbox vtpass: the callback for %s could not be delivered", record.request_id)
            return
        if status != 200:
            logger.warning("sandbox vtpass: the callback for %s was answered %s", record.request_id, status)


def _amount(value: Any) -> Decimal | None:
    text = str(value if value is not None else "").strip()
    return Decimal(text) if re.fullmatch(r"\d+(\.\d{1,2})?", text) else None
