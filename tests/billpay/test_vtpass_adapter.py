"""The VTPass adapter against VTPass's documented requests and answers (vtpass.com/documentation), over a mocked
transport: every response code path, a timeout and no answer, the token, and the request_id."""

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx
from django.core.exceptions import ImproperlyConfigured

from billpay.errors import BillCustomerInvalidError, BillProviderError, BillProviderRejectedError
from billpay.providers.base import BillStatus, PurchaseRequest
from billpay.providers.vtpass.adapter import (
    VTPassConfig,
    VTPassProvider,
    from_settings,
    local_phone,
    new_request_id,
    parse_callback,
    parse_token,
)

BASE = "https://sandbox.vtpass.com/api"
API_KEY, PUBLIC_KEY, SECRET_KEY = "api-123", "PK_456", "SK_789"
REQUEST_ID = "202503101014abcdef123456"
WRONG_METER = "This meter is not correct or is not a valid Ikeja Electric prepaid meter. Please check and try again"


@pytest.fixture
def vtpass():
    return VTPassProvider(VTPassConfig(api_key=API_KEY, public_key=PUBLIC_KEY, secret_key=SECRET_KEY))


def purchase(**overrides) -> PurchaseRequest:
    values = {
        "request_id": REQUEST_ID,
        "service_id": "ikeja-electric",
        "billers_code": "1111111111111",
        "amount": Decimal("3000.00"),
        "phone": "+2348011111111",
        "variation_code": "prepaid",
    }
    return PurchaseRequest(**{**values, **overrides})


def transaction_answer(code: str, status: str | None = "delivered", **top) -> dict:
    """A `pay`/`requery` answer in VTPass's documented shape (MTN VTU / IKEDC pages)."""
    body = {
        "code": code,
        "content": {
            "transactions": {
                "status": status,
                "product_name": "Ikeja Electric Payment - IKEDC",
                "unique_element": "1111111111111",
                "unit_price": "3000",
                "quantity": 1,
                "service_verification": None,
                "channel": "api",
                "commission": 30,
                "total_amount": 2970,
                "discount": None,
                "type": "Electricity Bill",
                "email": "sandbox@vtpass.com",
                "phone": "08011111111",
                "name": None,
                "convinience_fee": 0,
                "amount": "3000",
                "platform": "api",
                "method": "api",
                "transactionId": "17416011523616233976715979",
            }
        },
        "response_description": "TRANSACTION SUCCESSFUL",
        "requestId": REQUEST_ID,
        "amount": 3000,
        "transaction_date": "2025-03-10T09:05:52.000000Z",
        "purchased_code": "",
    }
    if status is None:
        body["content"] = {}
    body.update(top)
    return body


# --- auth and catalog --------------------------------------------------------------------------------------------


@respx.mock
def test_catalog_gets_sign_with_the_public_key_and_read_categories(vtpass):
    route = respx.get(f"{BASE}/service-categories").respond(
        200,
        json={
            "response_description": "000",
            "content": [
                {"identifier": "airtime", "name": "Airtime Recharge"},
                {"identifier": "electricity-bill", "name": "Electricity Bill"},
            ],
        },
    )
    categories = vtpass.categories()
    sent = route.calls.last.request
    assert sent.headers["api-key"] == API_KEY
    assert sent.headers["public-key"] == PUBLIC_KEY
    assert "secret-key" not in sent.headers
    assert [(c.identifier, c.name) for c in categories] == [
        ("airtime", "Airtime Recharge"),
        ("electricity-bill", "Electricity Bill"),
    ]


@respx.mock
def test_services_read_vtpass_spellings(vtpass):
    route = respx.get(f"{BASE}/services", params={"identifier": "data"}).respond(
        200,
        json={
            "response_description": "000",
            "content": [
                {
                    "serviceID": "mtn-data",
                    "name": "MTN Data",
                    "minimium_amount": "1",
                    "maximum_amount": "1000000",
                    "convinience_fee": "N10.00",
                    "product_type": "fix",
                    "image": "https://sandbox.vtpass.com/resources/products/200X200/MTN-Data.jpg",
                },
                {
                    "serviceID": "glo-data",
                    "name": "Glo Data",
                    "minimium_amount": 5,
                    "maximum_amount": None,
                    "convinience_fee": "0 %",
                    "product_type": "fix",
                    "image": "",
                },
            ],
        },
    )
    mtn, glo = vtpass.services(category="data")
    assert route.called
    assert (mtn.service_id, mtn.min_amount, mtn.max_amount, mtn.convenience_fee) == (
        "mtn-data",
        Decimal("1"),
        Decimal("1000000"),
        Decimal("10.00"),
    )
    assert mtn.product_type == "fix"
    assert (glo.min_amount, glo.max_amount, glo.convenience_fee) == (Decimal("5"), None, Decimal("0"))


@respx.mock
@pytest.mark.parametrize("key", ["variations", "varations"])
def test_variations_read_price_and_fixed_flag(vtpass, key):
    respx.get(f"{BASE}/service-variations", params={"serviceID": "dstv"}).respond(
        200,
        json={
            "response_description": "000",
            "content": {
                "ServiceName": "DSTV Subscription",
                "serviceID": "dstv",
                "convinience_fee": "N0.00",
                key: [
                    {
                        "variation_code": "dstv-padi",
                        "name": "DStv Padi N4,400",
                        "variation_amount": "4400.00",
                        "fixedPrice": "Yes",
                    },
                    {"variation_code": "open", "name": "Any amount", "variation_amount": "0.00", "fixedPrice": "No"},
                ],
            },
        },
    )
    padi, open_ = vtpass.variations(service_id="dstv")
    assert (padi.code, padi.name, padi.amount, padi.fixed_price) == (
        "dstv-padi",
        "DStv Padi N4,400",
        Decimal("4400.00"),
        True,
    )
    assert (open_.amount, open_.fixed_price) == (Decimal("0.00"), False)


@respx.mock
def test_catalog_refusal_and_outage(vtpass):
    respx.get(f"{BASE}/service-categories").respond(401, json={"response_description": "087", "content": {}})
    with pytest.raises(BillProviderRejectedError):
        vtpass.categories()
    respx.get(f"{BASE}/services").mock(side_effect=httpx.ConnectTimeout("timed out"))
    with pytest.raises(BillProviderError):
        vtpass.services(category="data")
    respx.get(f"{BASE}/service-variations").respond(503, text="<html>down</html>")
    with pytest.raises(BillProviderError):
        vtpass.variations(service_id="dstv")


# --- merchant verify ---------------------------------------------------------------------------------------------


@respx.mock
def test_verify_meter_posts_with_the_secret_key_and_reads_the_customer(vtpass):
    route = respx.post(f"{BASE}/merchant-verify").respond(
        200,
        json={
            "code": "000",
            "content": {
                "Customer_Name": "TESTMETER1",
                "Account_Number": None,
                "Meter_Number": "1111111111111",
                "Business_Unit": "",
                "Address": "ABULE - EGBA BU ABULE",
                "Customer_Arrears": "",
                "Min_Purchase_Amount": 1000,
                "Can_Vend": "yes",
                "Meter_Type": "PREPAID",
                "WrongBillersCode": False,
                "commission_details": {"amount": None, "rate": "1.50", "rate_type": "percent"},
            },
        },
    )
    customer = vtpass.merchant_verify(service_id="ikeja-electric", customer_id="1111111111111", meter_type="prepaid")
    sent = route.calls.last.request
    assert sent.headers["api-key"] == API_KEY
    assert sent.headers["secret-key"] == SECRET_KEY
    assert "public-key" not in sent.headers
    assert json.loads(sent.content) == {
        "billersCode": "1111111111111",
        "serviceID": "ikeja-electric",
        "type": "prepaid",
    }
    assert customer.customer_name == "TESTMETER1"
    assert customer.address == "ABULE - EGBA BU ABULE"
    assert customer.details == {
        "meter_number": "1111111111111",
        "meter_type": "PREPAID",
        "min_purchase_amount": 1000,
        "can_vend": "yes",
    }


@respx.mock
def test_verify_smartcard_reads_the_current_bouquet_and_due_date(vtpass):
    route = respx.post(f"{BASE}/merchant-verify").respond(
        200,
        json={
            "code": "000",
            "content": {
                "Customer_Name": "TEST METER",
                "Status": "ACTIVE",
                "Due_Date": "2025-02-06T00:00:00",
                "Customer_Number": "8061522780",
                "Customer_Type": "DSTV",
                "Current_Bouquet": "DStv Compact N19,000",
                "Current_Bouquet_Code": "dstv79",
                "Renewal_Amount": "19000.00",
            },
        },
    )
    customer = vtpass.merchant_verify(service_id="dstv", customer_id="1212121212")
    assert json.loads(route.calls.last.request.content) == {"billersCode": "1212121212", "serviceID": "dstv"}
    assert customer.customer_name == "TEST METER"
    assert customer.details["current_bouquet"] == "DStv Compact N19,000"
    assert customer.details["due_date"] == "2025-02-06T00:00:00"
    assert customer.details["renewal_amount"] == "19000.00"


@respx.mock
@pytest.mark.parametrize(
    "content",
    [
        {"error": WRONG_METER},
        {"Customer_Name": "", "WrongBillersCode": True},
        {"WrongBillersCode": False},
    ],
)
def test_verify_unknown_number_is_customer_invalid(vtpass, content):
    respx.post(f"{BASE}/merchant-verify").respond(200, json={"code": "000", "content": content})
    with pytest.raises(BillCustomerInvalidError) as caught:
        vtpass.merchant_verify(service_id="ikeja-electric", customer_id="1234567890123", meter_type="prepaid")
    assert caught.value.code == "bill_customer_invalid"
    assert caught.value.status_code == 422
    assert caught.value.details == {"customer_id": "1234567890123"}


@respx.mock
def test_verify_provider_codes_and_outages(vtpass):
    route = respx.post(f"{BASE}/merchant-verify")
    route.respond(200, json={"code": "087", "response_description": "INVALID CREDENTIALS"})
    with pytest.raises(BillProviderRejectedError, match="INVALID CREDENTIALS"):
        vtpass.merchant_verify(service_id="dstv", customer_id="1212121212")
    route.respond(200, json={"code": "030", "response_description": "BILLER NOT REACHABLE AT THIS POINT"})
    with pytest.raises(BillProviderError):
        vtpass.merchant_verify(service_id="dstv", customer_id="1212121212")
    route.mock(side_effect=httpx.ReadTimeout("timed out"))
    with pytest.raises(BillProviderError, match="in time"):
        vtpass.merchant_verify(service_id="dstv", customer_id="1212121212")


# --- pay -----------------------------------------------------------------------------------------------------------


@respx.mock
def test_pay_sends_the_documented_body_and_reads_an_electricity_token(vtpass):
    route = respx.post(f"{BASE}/pay").respond(
        200,
        json=transaction_answer(
            "000",
            purchased_code="Token : 26362054405982757802",
            customerName="TESTMETER1",
            customerAddress="ABULE - EGBA BU ABULE",
            meterNumber="1111111111111",
            token="Token : 26362054405982757802",
            units="79.9 kWh",
            tokenAmount=2790.7,
            exchangeReference="250310100551TEFL",
            resetToken=None,
            configureToken=None,
            tariff="R2 SINGLE PHASE",
        ),
    )
    result = vtpass.pay(purchase())
    sent = route.calls.last.request
    assert sent.headers["secret-key"] == SECRET_KEY
    assert json.loads(sent.content) == {
        "request_id": REQUEST_ID,
        "serviceID": "ikeja-electric",
        "billersCode": "1111111111111",
        "variation_code": "prepaid",
        "amount": "3000.00",
        "phone": "08011111111",
    }
    assert result.status == BillStatus.DELIVERED
    assert result.code == "000"
    assert result.token == "26362054405982757802"
    assert result.units == "79.9 kWh"
    assert result.customer_name == "TESTMETER1"
    assert result.provider_reference == "17416011523616233976715979"
    assert (result.amount, result.commission) == (Decimal("3000"), Decimal("30"))
    assert result.raw["exchangeReference"] == "250310100551TEFL"


@respx.mock
def test_pay_airtime_to_an_e164_phone_sends_it_in_local_form(vtpass):
    route = respx.post(f"{BASE}/pay").respond(200, json=transaction_answer("000"))
    request = purchase(service_id="mtn", billers_code="+2348011111111", variation_code="", amount=Decimal("100"))
    result = vtpass.pay(request)
    body = json.loads(route.calls.last.request.content)
    assert body["billersCode"] == "08011111111"
    assert body["phone"] == "08011111111"
    assert "variation_code" not in body
    assert result.status == BillStatus.DELIVERED
    assert result.token == ""


@respx.mock
def test_pay_tv_sends_the_subscription_type(vtpass):
    route = respx.post(f"{BASE}/pay").respond(200, json=transaction_answer("000"))
    vtpass.pay(
        purchase(service_id="dstv", billers_code="1212121212", variation_code="dstv79", subscription_type="change")
    )
    body = json.loads(route.calls.last.request.content)
    assert (body["variation_code"], body["subscription_type"]) == ("dstv79", "change")


@respx.mock
@pytest.mark.parametrize(
    ("code", "transaction_status", "expected", "charged"),
    [
        ("000", "delivered", BillStatus.DELIVERED, None),
        ("000", "pending", BillStatus.PENDING, None),
        ("000", "initiated", BillStatus.PENDING, None),
        ("000", "reversed", BillStatus.REVERSED, None),
        ("000", "resolved", BillStatus.PENDING, None),
        ("000", None, BillStatus.PENDING, None),  # 000 without a transaction status: only a requery can tell
        ("099", "pending", BillStatus.PENDING, None),
        ("089", None, BillStatus.PENDING, None),
        ("016", "failed", BillStatus.FAILED, None),
        ("091", None, BillStatus.FAILED, False),
        ("011", None, BillStatus.FAILED, False),
        ("012", None, BillStatus.FAILED, False),
        ("030", None, BillStatus.FAILED, False),
        ("040", "reversed", BillStatus.REVERSED, None),
        ("014", None, BillStatus.PENDING, None),  # request id exists: an earlier attempt may have gone through
        ("015", None, BillStatus.PENDING, None),  # not found means something only on a requery
        ("018", None, BillStatus.PENDING, None),
        ("083", None, BillStatus.PENDING, None),
        ("085", None, BillStatus.PENDING, None),
        ("999", None, BillStatus.PENDING, None),
    ],
)
def test_pay_maps_every_response_code(vtpass, code, transaction_status, expected, charged):
    respx.post(f"{BASE}/pay").respond(200, json=transaction_answer(code, transaction_status, response_description="X"))
    result = vtpass.pay(purchase())
    assert result.status == expected
    assert result.code == code
    assert result.charged is charged
    assert result.request_id == REQUEST_ID


@respx.mock
@pytest.mark.parametrize(
    ("side_effect", "message"),
    [
        (httpx.ReadTimeout("The read operation timed out"), "did not answer in time"),
        (httpx.ConnectTimeout("connect timed out"), "did not answer in time"),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), "gave no answer"),
        (httpx.ConnectError("connection refused"), "gave no answer"),
        (httpx.Response(502, text="<html>Bad Gateway</html>"), "not JSON"),
        (httpx.Response(200, text="OK"), "not JSON"),
        (httpx.Response(200, json=["unexpected"]), "cannot read"),
    ],
)
def test_pay_without_a_usable_answer_is_pending(vtpass, side_effect, message):
    respx.post(f"{BASE}/pay").mock(side_effect=[side_effect])
    result = vtpass.pay(purchase())
    assert result.status == BillStatus.PENDING
    assert result.code == ""
    assert message in result.message
    assert result.request_id == REQUEST_ID


@respx.mock
def test_pay_answered_with_a_5xx_json_body_is_read_by_its_code(vtpass):
    respx.post(f"{BASE}/pay").respond(500, json={"code": "083", "response_description": "SYSTEM ERROR"})
    assert vtpass.pay(purchase()).status == BillStatus.PENDING


# --- requery -------------------------------------------------------------------------------------------------------


@respx.mock
def test_requery_reads_the_token_from_extras(vtpass):
    answer = transaction_answer("000")
    answer.pop("purchased_code")
    answer["content"]["transactions"]["extras"] = "Token : 5555 6666 7777 8888 9999"
    route = respx.post(f"{BASE}/requery").respond(200, json=answer)
    result = vtpass.requery(request_id=REQUEST_ID)
    sent = route.calls.last.request
    assert json.loads(sent.content) == {"request_id": REQUEST_ID}
    assert sent.headers["secret-key"] == SECRET_KEY
    assert result.status == BillStatus.DELIVERED
    assert result.token == "5555 6666 7777 8888 9999"


@respx.mock
@pytest.mark.parametrize(
    ("code", "transaction_status", "expected"),
    [
        ("015", None, BillStatus.NOT_FOUND),
        ("000", "pending", BillStatus.PENDING),
        ("000", "reversed", BillStatus.REVERSED),
        ("099", None, BillStatus.PENDING),
        ("016", "failed", BillStatus.FAILED),
        ("091", None, BillStatus.FAILED),
        ("087", None, BillStatus.PENDING),
    ],
)
def test_requery_maps_codes(vtpass, code, transaction_status, expected):
    respx.post(f"{BASE}/requery").respond(200, json=transaction_answer(code, transaction_status))
    assert vtpass.requery(request_id=REQUEST_ID).status == expected


@respx.mock
def test_requery_without_an_answer_is_pending(vtpass):
    respx.post(f"{BASE}/requery").mock(side_effect=httpx.ReadTimeout("timed out"))
    result = vtpass.requery(request_id=REQUEST_ID)
    assert (result.status, result.request_id) == (BillStatus.PENDING, REQUEST_ID)


# --- helpers -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "token"),
    [
        ("Token : 26362054405982757802", "26362054405982757802"),
        ("Token: 2636-2054-4059-8275-7802", "2636-2054-4059-8275-7802"),
        ("TOKEN : 1234 5678 9012 3456 7890", "1234 5678 9012 3456 7890"),
        ("Token : 11112222333344445555 Bonus Token : 99998888777766665555", "11112222333344445555"),
        ("Main Token : 12345", "12345"),
        ("  26362054405982757802  ", "26362054405982757802"),
        ("Serial No:WRN123456789, pin: 123456789012", "Serial No:WRN123456789, pin: 123456789012"),
        ("", ""),
        (None, ""),
        (12345, ""),
    ],
)
def test_parse_token(value, token):
    assert parse_token(value) == token


def test_request_id_starts_with_the_lagos_date_and_time():
    # 23:30 UTC on 31 January is 00:30 on 1 February in Lagos (GMT+1).
    request_id = new_request_id(datetime(2025, 1, 31, 23, 30, 59, tzinfo=UTC))
    assert request_id.startswith("202502010030")
    assert re.fullmatch(r"\d{12}[0-9a-f]{20}", request_id)


def test_request_ids_are_unique_and_use_now(vtpass):
    lagos = ZoneInfo("Africa/Lagos")
    before = datetime.now(UTC).astimezone(lagos).strftime("%Y%m%d%H%M")
    ids = {vtpass.new_request_id() for _ in range(200)}
    after = datetime.now(UTC).astimezone(lagos).strftime("%Y%m%d%H%M")
    assert len(ids) == 200
    assert {request_id[:12] for request_id in ids} <= {before, after}


@pytest.mark.parametrize(
    ("phone", "local"),
    [("+2348011111111", "08011111111"), ("2348011111111", "08011111111"), ("08011111111", "08011111111")],
)
def test_local_phone(phone, local):
    assert local_phone(phone) == local


def test_the_real_adapter_needs_its_keys(settings):
    settings.VTPASS_API_KEY = settings.VTPASS_PUBLIC_KEY = settings.VTPASS_SECRET_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="VTPASS_API_KEY, VTPASS_PUBLIC_KEY, VTPASS_SECRET_KEY"):
        from_settings()
    settings.VTPASS_API_KEY, settings.VTPASS_PUBLIC_KEY = "x", "PK_x"
    with pytest.raises(ImproperlyConfigured, match="VTPASS_SECRET_KEY must be set"):
        from_settings()
    settings.VTPASS_SECRET_KEY = "SK_x"
    assert from_settings().config.base_url == "https://vtpass.com/api/"  # live, unless told otherwise
    settings.VTPASS_BASE_URL = "https://sandbox.vtpass.com/api/"
    assert from_settings().config.base_url == "https://sandbox.vtpass.com/api/"


# --- the transaction-update callback (VTPass's "Callback API" page: {type, data}, data as a requery answer) -----

DOCUMENTED_CALLBACK = {
    "type": "transaction-update",
    "data": {
        "code": "000",
        "content": {
            "transactions": {
                "status": "delivered",
                "product_name": "Ikeja Electric Payment - IKEDC",
                "unique_element": "1111111111111",
                "unit_price": 2000,
                "quantity": 1,
                "commission": 30,
                "total_amount": 1970,
                "type": "Electricity Bill",
                "amount": 2000,
                "transactionId": "17415980564672211596777904",
            }
        },
        "response_description": "TRANSACTION SUCCESSFUL",
        "requestId": REQUEST_ID,
        "amount": 2000,
        "purchased_code": "Token : 26362054405982757802",
    },
}


def test_a_transaction_update_names_its_request_and_status():
    [update] = parse_callback(json.dumps(DOCUMENTED_CALLBACK).encode())
    assert update.request_id == REQUEST_ID and update.status == "delivered"
    assert update.event_id == f"{REQUEST_ID}:delivered"
    reversed_body = {**DOCUMENTED_CALLBACK, "data": {**DOCUMENTED_CALLBACK["data"], "code": "040", "content": {}}}
    [reversal] = parse_callback(json.dumps(reversed_body).encode())
    assert reversal.event_id == f"{REQUEST_ID}:040"  # another state of the same purchase: another event


@pytest.mark.parametrize(
    "body",
    [
        {"type": "variations-update", "data": {"serviceID": "dstv"}},
        {"type": "transaction-update", "data": {"code": "000"}},
        {"type": "transaction-update"},
        {},
    ],
)
def test_other_updates_carry_no_transaction(body):
    assert parse_callback(json.dumps(body).encode()) == []


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_refused(raw):
    with pytest.raises(ValueError, match="JSON"):
        parse_callback(raw)
