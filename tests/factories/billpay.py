"""The bill catalog, orders and beneficiaries."""

from decimal import Decimal

import factory

from billpay.models import Beneficiary, BillCategory, Biller, BillOrder, BillVariation, CategoryCode
from tests.factories.accounts import UserFactory


class BillCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BillCategory
        django_get_or_create = ("code",)

    code = CategoryCode.AIRTIME
    name = factory.LazyAttribute(lambda o: CategoryCode(o.code).label)


class BillerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Biller

    service_id = factory.Sequence(lambda n: f"service-{n}")
    meter_type = ""
    slug = factory.LazyAttribute(lambda o: f"{o.service_id}-{o.meter_type}" if o.meter_type else o.service_id)
    name = factory.LazyAttribute(lambda o: o.service_id.upper())
    category = factory.SubFactory(BillCategoryFactory)
    min_amount = Decimal("50.00")
    max_amount = Decimal("50000.00")


class BillVariationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BillVariation

    biller = factory.SubFactory(BillerFactory, category=factory.SubFactory(BillCategoryFactory, code="data"))
    code = factory.Sequence(lambda n: f"plan-{n}")
    name = factory.LazyAttribute(lambda o: f"Plan {o.code}")
    amount = Decimal("1000.00")


class BillOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BillOrder

    user = factory.SubFactory(UserFactory)
    biller = factory.SubFactory(BillerFactory)
    customer_id = "08011111111"
    amount = Decimal("100.00")
    provider = "vtpass"
    request_id = factory.Sequence(lambda n: f"202501011200order{n:06d}")


class BeneficiaryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Beneficiary

    user = factory.SubFactory(UserFactory)
    biller = factory.SubFactory(BillerFactory)
    label = "Mum"
    number = "08011111111"
