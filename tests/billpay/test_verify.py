"""`verify_bill_customer`: a meter or smartcard looked up with the biller, through the catalog's public ids."""

import pytest
import respx

from billpay.errors import (
    BillCustomerInvalidError,
    BillInputError,
    BillServiceNotFoundError,
    BillServiceNotVerifiableError,
)
from billpay.models import CategoryCode
from billpay.providers.vtpass.adapter import VTPassConfig, VTPassProvider
from billpay.services import verify_bill_customer
from tests.factories.billpay import BillCategoryFactory, BillerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def catalog(settings):
    settings.PROVIDERS_SANDBOX = True
    electricity = BillCategoryFactory(code=CategoryCode.ELECTRICITY)
    tv = BillCategoryFactory(code=CategoryCode.TV)
    BillerFactory(
        slug="ikeja-electric-prepaid", service_id="ikeja-electric", meter_type="prepaid", category=electricity
    )
    BillerFactory(
        slug="ikeja-electric-postpaid", service_id="ikeja-electric", meter_type="postpaid", category=electricity
    )
    BillerFactory(slug="dstv", service_id="dstv", category=tv)
    BillerFactory(slug="mtn", service_id="mtn", category=BillCategoryFactory(code=CategoryCode.AIRTIME))
    BillerFactory(slug="gone", service_id="gone", category=tv, active=False)


def test_a_prepaid_meter_gives_name_address_and_meter_details():
    customer = verify_bill_customer(service="ikeja-electric-prepaid", customer_id=" 1111 1111 11111 ")
    assert customer.customer_id == "1111111111111"
    assert (customer.customer_name, customer.address) == ("TESTMETER1", "ABULE - EGBA BU ABULE")
    assert customer.details["meter_type"] == "PREPAID"
    assert customer.details["min_purchase_amount"] == 1000


def test_the_biller_meter_type_is_sent():
    assert verify_bill_customer(service="ikeja-electric-postpaid", customer_id="1010101010101").customer_name
    with pytest.raises(BillCustomerInvalidError):
        verify_bill_customer(service="ikeja-electric-postpaid", customer_id="1111111111111")


def test_a_smartcard_gives_the_current_bouquet_and_due_date():
    customer = verify_bill_customer(service="dstv", customer_id="1212121212")
    assert customer.customer_name == "TEST SMARTCARD"
    assert customer.details["current_bouquet"] == "DStv Compact N19,000"
    assert customer.details["current_bouquet_code"] == "dstv79"
    assert "due_date" in customer.details


def test_an_unknown_number_is_422_bill_customer_invalid():
    with pytest.raises(BillCustomerInvalidError) as caught:
        verify_bill_customer(service="dstv", customer_id="9999999999")
    assert (caught.value.code, caught.value.status_code) == ("bill_customer_invalid", 422)


def test_services_without_an_account_unknown_services_and_bad_numbers_are_refused():
    with pytest.raises(BillServiceNotVerifiableError):
        verify_bill_customer(service="mtn", customer_id="08011111111")
    with pytest.raises(BillServiceNotFoundError):
        verify_bill_customer(service="nope", customer_id="1212121212")
    with pytest.raises(BillServiceNotFoundError):
        verify_bill_customer(service="gone", customer_id="1212121212")
    with pytest.raises(BillInputError) as caught:
        verify_bill_customer(service="dstv", customer_id="12;")
    assert "customer_id" in caught.value.details


@respx.mock
def test_the_real_adapter_is_asked_with_the_provider_service_id():
    route = respx.post("https://sandbox.vtpass.com/api/merchant-verify").respond(
        200, json={"code": "000", "content": {"Customer_Name": "ADA OBI", "Address": "12 Allen Avenue, Ikeja"}}
    )
    provider = VTPassProvider(VTPassConfig(api_key="a", public_key="PK_b", secret_key="SK_c"))
    customer = verify_bill_customer(service="ikeja-electric-prepaid", customer_id="45012345678", provider=provider)
    assert (
        route.calls.last.request.read()
        == b'{"billersCode":"45012345678","serviceID":"ikeja-electric","type":"prepaid"}'
    )
    assert (customer.customer_name, customer.address) == ("ADA OBI", "12 Allen Avenue, Ikeja")
