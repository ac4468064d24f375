"""The database keeps the bill tables' invariants, whoever writes."""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import IntegrityError, transaction

from billpay.models import Beneficiary, Biller, BillOrder, BillVariation
from tests.factories.billpay import BeneficiaryFactory, BillerFactory, BillOrderFactory, BillVariationFactory

pytestmark = pytest.mark.django_db


def refused(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_orders_need_a_positive_amount_a_unique_request_id_and_a_known_status():
    order = BillOrderFactory()
    assert order.status == "pending" and order.attempts == 0 and order.commission == Decimal("0")
    refused(lambda: BillOrderFactory(amount=Decimal("0")))
    refused(lambda: BillOrderFactory(amount=Decimal("-1")))
    refused(lambda: BillOrderFactory(request_id=order.request_id))
    refused(lambda: BillOrderFactory(status="lost"))
    refused(lambda: BillOrderFactory(commission=Decimal("-0.01")))


def test_one_beneficiary_per_user_biller_and_number():
    first = BeneficiaryFactory()
    refused(lambda: BeneficiaryFactory(user=first.user, biller=first.biller, number=first.number, label="Again"))
    BeneficiaryFactory(user=first.user, biller=first.biller, number="08022222222")
    assert Beneficiary.objects.filter(user=first.user).count() == 2


def test_catalog_uniqueness_and_checks():
    biller = BillerFactory(service_id="ikeja-electric", meter_type="prepaid")
    BillerFactory(service_id="ikeja-electric", meter_type="postpaid")
    refused(lambda: BillerFactory(service_id="ikeja-electric", meter_type="prepaid", slug="other"))
    refused(lambda: BillerFactory(min_amount=Decimal("100"), max_amount=Decimal("50")))
    variation = BillVariationFactory()
    refused(lambda: BillVariationFactory(biller=variation.biller, code=variation.code))
    refused(lambda: BillVariationFactory(amount=Decimal("-1")))
    assert Biller.objects.filter(pk=biller.pk).exists()


def test_catalog_rows_in_use_cannot_be_deleted():
    order = BillOrderFactory(variation=BillVariationFactory())
    with pytest.raises(Exception, match="protected"):
        order.biller.delete()
    with pytest.raises(Exception, match="protected"):
        BillVariation.objects.get(pk=order.variation_id).delete()


def test_catalog_and_orders_are_read_only_in_the_admin(rf):
    request = rf.get("/")
    for model in (Biller, BillVariation, BillOrder):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
