"""VTPass (vtpass.com/documentation): airtime, data, electricity, TV and exam PINs, bought from our VTPass wallet.

- Auth: GET with headers `api-key` + `public-key`; POST with `api-key` + `secret-key`.
- Catalog GETs answer `"response_description": "000"`; POSTs answer `"code"`.
- `pay` and `requery`: "000" → read `content.transactions.status`; "099"/"089" processing; "016" failed; "091"
  not processed (not charged); "040" reversed; on requery "015" = no such request_id. Any other code, a timeout,
  no answer or an unreadable one is *pending*: the purchase may have gone through, so only a requery with the same
  request_id may settle it. `pay` never raises for a missing answer.
"""

import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from billpay.errors import BillCustomerInvalidError, BillProviderError, BillProviderRejectedError
from billpay.providers.base import (
    BillCallback,
    BillStatus,
    CatalogCategory,
    CatalogService,
    CatalogVariation,
    PurchaseRequest,
    PurchaseResult,
    VerifiedCustomer,
)

LAGOS = ZoneInfo("Africa/Lagos")

PROCESSING_CODES = frozenset({"099", "089"})
# Refused before any transaction was made: the purchase did not happen (VTPass's response codes: "091 not processed,
# not charged"; "verify-time 011/012/030 during purchase → failed").
NOT_CHARGED_CODES = frozenset({"091", "011", "012", "030"})
TRANSACTION_STATUS = {
    "delivered": BillStatus.DELIVERED,
    "reversed": BillStatus.REVERSED,
    "failed": BillStatus.FAILED,  # not documented in content.transactions (failure comes as 016); read if sent
    "initiated": BillStatus.PENDING,
    "pending": BillStatus.PENDING,
    "resolved": BillStatus.PENDING,  # meaning undocumented: leave it to a requery or a person
}
# Verify answers the provider gave about us or the product, not about the customer's number.
VERIFY_UNAVAILABLE_CODES = frozenset({"030", "034", "035", "083", "099", "089"})

_TOKEN_LABEL = re.compile(r"^\s*(?:main\s*)?token\s*:?\s*", re.IGNORECASE)
_BONUS_TOKEN = re.compile(r"\s*bonus\s*token\s*:.*$", re.IGNORECASE | re.DOTALL)

# merchant-verify content keys worth passing on, as our snake_case names. Distributors vary; all are optional.
VERIFY_DETAILS = {
    "Meter_Number": "meter_number",
    "Meter_Type": "meter_type",
    "Account_Number": "account_number",
    "Business_Unit": "business_unit",
    "Customer_Arrears": "arrears",
    "Min_Purchase_Amount": "min_purchase_amount",
    "Can_Vend": "can_vend",
    "Customer_Account_Type": "account_type",
    "Current_Bouquet": "current_bouquet",
    "Current_Bouquet_Code": "current_bouquet_code",
    "Renewal_Amount": "renewal_amount",
    "Due_Date": "due_date",
    "Status": "status",
    "Customer_Type": "customer_type",
    "Customer_Number": "customer_number",
}


def new_request_id(now: datetime | None = None) -> str:
    """`YYYYMMDDHHII` of now in Africa/Lagos, then a random alphanumeric suffix (VTPass: ≥ 12 characters, the
    first 12 the Lagos date and time, or the request is refused with 085)."""
    moment = (now or timezone.now()).astimezone(LAGOS)
    return moment.strftime("%Y%m%d%H%M") + secrets.token_hex(10)


def local_phone(phone: str) -> str:
    """A Nigerian number in the local form VTPass's examples use (`08011111111`), from E.164 or local."""
    digits = re.sub(r"[^\d+]", "", phone or "")
    if digits.startswith("+234"):
        return "0" + digits[4:]
    if digits.startswith("234") and len(digits) == 13:
        return "0" + digits[3:]
    return digits.lstrip("+")


def parse_token(value: Any) -> str:
    """The token out of `purchased_code` (or `token`, `extras`): "Token : 2636 2054 ..." → "2636 2054 ...".
    "Token : X Bonus Token : Y" keeps the main token X. Anything unlabelled (an exam PIN) is kept as it is."""
    if not isinstance(value, str):
        return ""
    text = _BONUS_TOKEN.sub("", value.strip())
    return _TOKEN_LABEL.sub("", text).strip()


def to_decimal(value: Any) -> Decimal | None:
    """VTPass sends amounts as numbers or strings ("100.00", "N0.00", "1,000"); None when there is none."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip().replace(",", "").lstrip("N₦").strip()
    if not text or "%" in text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


@dataclass(frozen=True)
class VTPassConfig:
    api_key: str
    public_key: str
    secret_key: str
    base_url: str = "https://sandbox.vtpass.com/api/"
    timeout: float = 45.0


class VTPassProvider:
    name = "vtpass"
    # Our category code → VTPass's category identifier (GET service-categories).
    category_identifiers: Mapping[str, str] = {
        "airtime": "airtime",
        "data": "data",
        "electricity": "electricity-bill",
        "tv": "tv-subscription",
        "education": "education",
    }
    # Our public slug where VTPass's serviceID is not the name customers know.
    service_slugs: Mapping[str, str] = {"etisalat": "9mobile", "etisalat-data": "9mobile-data"}

    def __init__(self, config: VTPassConfig, client: httpx.Client | None = None):
        self.config = config
        self.client = client or httpx.Client(timeout=config.timeout)

    def new_request_id(self) -> str:
        return new_request_id()

    # --- HTTP ------------------------------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return self.config.base_url.rstrip("/") + "/" + path

    def _get_headers(self) -> dict[str, str]:
        return {"api-key": self.config.api_key, "public-key": self.config.public_key}

    def _post_headers(self) -> dict[str, str]:
        return {"api-key": self.config.api_key, "secret-key": self.config.secret_key}

    def _read(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """A catalog or verify call: no answer is an error to retry later (nothing was bought)."""
        headers = self._get_headers() if method == "GET" else self._post_headers()
        try:
            response = self.client.request(method, self._url(path), headers=headers, **kwargs)
        except httpx.TimeoutException as exc:
            raise BillProviderError("VTPass did not answer in time.") from exc
        except httpx.TransportError as exc:
            raise BillProviderError("VTPass could not be reached.") from exc
        try:
            body = response.json()
        except ValueError as exc:
            raise BillProviderError(
                f"VTPass answered with something that is not JSON ({response.status_code})."
            ) from exc
        if not isinstance(body, dict):
            raise BillProviderError("VTPass answered with something we cannot read.")
        if response.status_code >= 500:
            raise BillProviderError(f"VTPass failed ({response.status_code}); try again shortly.")
        return body

    def _purchase_call(self, path: str, payload: Mapping[str, Any]) -> tuple[dict[str, Any] | None, str]:
        """`pay` / `requery`: (body, "") or (None, why there is no usable answer). Never raises for the network."""
        try:
            response = self.client.post(self._url(path), json=dict(payload), headers=self._post_headers())
        except httpx.TimeoutException:
            return None, "VTPass did not answer in time."
        except httpx.TransportError:
            return None, "VTPass gave no answer."
        try:
            body = response.json()
        except ValueError:
            return None, f"VTPass answered with something that is not JSON ({response.status_code})."
        if not isinstance(body, dict):
            return None, "VTPass answered with something we cannot read."
        return body, ""

    # --- catalog ---------------------------------------------------------------------------------------------

    def _catalog(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        body = self._read("GET", path, params=params)
        if _text(body.get("response_description")) != "000":
            raise BillProviderRejectedError(
                f"VTPass refused {path}: {body.get('response_description') or body.get('content') or 'no reason'}."
            )
        return body.get("content")

    def categories(self) -> list[CatalogCategory]:
        content = self._catalog("service-categories")
        return [
            CatalogCategory(identifier=_text(item.get("identifier")), name=_text(item.get("name")))
            for item in content or []
            if isinstance(item, Mapping) and item.get("identifier")
        ]

    def services(self, *, category: str) -> list[CatalogService]:
        content = self._catalog("services", {"identifier": category})
        return [
            CatalogService(
                service_id=_text(item.get("serviceID")),
                name=_text(item.get("name")),
                # VTPass's own spellings: "minimium_amount", "convinience_fee".
                min_amount=to_decimal(item.get("minimium_amount", item.get("minimum_amount"))),
                max_amount=to_decimal(item.get("maximum_amount")),
                convenience_fee=to_decimal(item.get("convinience_fee")) or Decimal("0"),
                product_type=_text(item.get("product_type")),
                image=_text(item.get("image")),
            )
            for item in content or []
            if isinstance(item, Mapping) and item.get("serviceID")
        ]

    def variations(self, *, service_id: str) -> list[CatalogVariation]:
        content = _mapping(self._catalog("service-variations", {"serviceID": service_id}))
        # Some answers spell the list "varations".
        items = content.get("variations") or content.get("varations") or []
        variations = []
        for item in items:
            if not isinstance(item, Mapping) or not item.get("variation_code"):
                continue
            variations.append(
                CatalogVariation(
                    code=_text(item["variation_code"]),
                    name=_text(item.get("name")),
                    amount=to_decimal(item.get("variation_amount")) or Decimal("0"),
                    fixed_price=_text(item.get("fixedPrice")).lower() == "yes",
                )
            )
        return variations

    # --- verify ----------------------------------------------------------------------------------------------

    def merchant_verify(self, *, service_id: str, customer_id: str, meter_type: str = "") -> VerifiedCustomer:
        payload = {"billersCode": customer_id, "serviceID": service_id}
        if meter_type:
            payload["type"] = meter_type
        body = self._read("POST", "merchant-verify", json=payload)
        code = _text(body.get("code"))
        content = _mapping(body.get("content"))
        if code != "000":
            description = _text(body.get("response_description")) or code or "no code"
            if code in VERIFY_UNAVAILABLE_CODES:
                raise BillProviderError(f"VTPass could not verify now ({description}).")
            raise BillProviderRejectedError(f"VTPass refused the verification ({description}).")
        if content.get("error") or content.get("WrongBillersCode") is True or not content.get("Customer_Name"):
            raise BillCustomerInvalidError(_text(content.get("error")) or None, details={"customer_id": customer_id})
        details = {
            ours: content[theirs] for theirs, ours in VERIFY_DETAILS.items() if content.get(theirs) not in (None, "")
        }
        return VerifiedCustomer(
            customer_id=customer_id,
            customer_name=_text(content.get("Customer_Name")),
            address=_text(content.get("Address")),
            details=details,
            raw=body,
        )

    # --- purchases -------------------------------------------------------------------------------------------

    def pay(self, request: PurchaseRequest) -> PurchaseResult:
        payload: dict[str, Any] = {
            "request_id": request.request_id,
            "serviceID": request.service_id,
            "billersCode": local_phone(request.billers_code)
            if request.billers_code.startswith("+")
            else request.billers_code,
            "amount": format(request.amount, "f"),
            "phone": local_phone(request.phone),
        }
        if request.variation_code:
            payload["variation_code"] = request.variation_code
        if request.subscription_type:
            payload["subscription_type"] = request.subscription_type
        body, why = self._purchase_call("pay", payload)
        if body is None:
            return PurchaseResult(request_id=request.request_id, status=BillStatus.PENDING, message=why)
        return purchase_result(body, request_id=request.request_id, requery=False)

    def requery(self, *, request_id: str) -> PurchaseResult:
        body, why = self._purchase_call("requery", {"request_id": request_id})
        if body is None:
            return PurchaseResult(request_id=request_id, status=BillStatus.PENDING, message=why)
        return purchase_result(body, request_id=request_id, requery=True)

    def parse_callback(self, body: bytes) -> list[BillCallback]:
        return parse_callback(body)


def parse_callback(body: bytes) -> list[BillCallback]:
    """VTPass's callback: `{"type": "transaction-update", "data": <a requery answer>}` for a transaction staff
    resolved (delivered, failed, reversed); other types (variation updates) carry no transaction."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("The body is not JSON.") from exc
    if not isinstance(payload, dict):
        raise ValueError("The body is not a JSON object.")
    data = _mapping(payload.get("data"))
    request_id = _text(data.get("requestId") or data.get("request_id"))[:64]
    if "transaction" not in _text(payload.get("type")).lower() or not request_id:
        return []
    status = _text(_mapping(_mapping(data.get("content")).get("transactions")).get("status")).lower()[:32]
    event_id = f"{request_id}:{status or _text(data.get('code'))}"[:128]
    return [BillCallback(event_id=event_id, request_id=request_id, status=status)]


def purchase_result(body: Mapping[str, Any], *, request_id: str, requery: bool) -> PurchaseResult:
    """Read a `pay` or `requery` answer (VTPass's documented response codes)."""
    code = _text(body.get("code"))
    content = _mapping(body.get("content"))
    transaction = _mapping(content.get("transactions"))
    charged: bool | None = None
    if code == "000":
        status = TRANSACTION_STATUS.get(_text(transaction.get("status")).lower(), BillStatus.PENDING)
    elif code in PROCESSING_CODES:
        status = BillStatus.PENDING
    elif code == "016":
        status = BillStatus.FAILED
    elif code in NOT_CHARGED_CODES:
        status, charged = BillStatus.FAILED, False
    elif code == "040":
        status = BillStatus.REVERSED
    elif code == "015" and requery:
        status = BillStatus.NOT_FOUND
    else:  # 014 (request id exists), 018, 019, 083, 085, ... or an unknown answer: only a requery can tell
        status = BillStatus.PENDING
    extras = transaction.get("extras")
    token = (
        parse_token(body.get("purchased_code"))
        or parse_token(body.get("token"))
        or parse_token(body.get("mainToken"))
        or parse_token(transaction.get("purchased_code"))
        or (parse_token(extras) if isinstance(extras, str) else parse_token(_mapping(extras).get("token")))
    )
    units = body.get("units") or body.get("Units") or body.get("mainTokenUnits") or transaction.get("units")
    return PurchaseResult(
        request_id=_text(body.get("requestId")) or request_id,
        status=status,
        code=code,
        message=_text(body.get("response_description")),
        charged=charged,
        provider_reference=_text(transaction.get("transactionId")),
        amount=to_decimal(transaction.get("amount", body.get("amount"))),
        commission=to_decimal(transaction.get("commission")),
        token=token,
        units=_text(units),
        customer_name=_text(body.get("customerName") or body.get("CustomerName") or transaction.get("name")),
        raw=dict(body),
    )


def config_from_settings() -> VTPassConfig:
    return VTPassConfig(
        api_key=settings.VTPASS_API_KEY,
        public_key=settings.VTPASS_PUBLIC_KEY,
        secret_key=settings.VTPASS_SECRET_KEY,
        base_url=settings.VTPASS_BASE_URL,
        timeout=settings.VTPASS_TIMEOUT,
    )


def from_settings() -> VTPassProvider:
    config = config_from_settings()
    missing = [name for name in ("api_key", "public_key", "secret_key") if not getattr(config, name)]
    if missing:
        raise ImproperlyConfigured(
            f"VTPASS_{', VTPASS_'.join(name.upper() for name in missing)} must be set when PROVIDERS_SANDBOX is off."
        )
    return VTPassProvider(config)
