"""The catalog: synced from the provider (idempotent; dropped services become inactive), served from our tables."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from billpay.errors import BillProviderError, BillServiceNotFoundError
from billpay.models import BillCategory, Biller, BillVariation
from billpay.providers.base import CatalogCategory, CatalogService, CatalogVariation
from billpay.selectors import get_biller, get_variation, list_billers, list_variations
from billpay.services import sync_catalog
from billpay.tasks import sync_billers
from config.schedules import job_named

pytestmark = pytest.mark.django_db


class FakeProvider:
    """A provider whose catalog a test edits between syncs."""

    name = "fake"
    category_identifiers = {"airtime": "airtime", "data": "data", "electricity": "electricity-bill", "tv": "tv"}
    service_slugs = {"etisalat": "9mobile"}

    def __init__(self):
        self.services_by_category = {
            "airtime": [
                CatalogService("mtn", "MTN Airtime VTU", Decimal("50"), Decimal("50000")),
                CatalogService("etisalat", "9mobile Airtime VTU", Decimal("50"), Decimal("50000")),
            ],
            "data": [CatalogService("mtn-data", "MTN Data", Decimal("1"), Decimal("100000"))],
            "electricity-bill": [
                CatalogService("ikeja-electric", "Ikeja Electric", Decimal("1000"), Decimal("500000"))
            ],
            "tv": [CatalogService("dstv", "DSTV Subscription")],
        }
        self.variations_by_service = {
            "mtn-data": [
                CatalogVariation("mtn-1gb", "1GB - 1 day", Decimal("350.00"), True),
                CatalogVariation("mtn-2gb", "2GB - 30 days", Decimal("1200.00"), True),
            ],
            "ikeja-electric": [
                CatalogVariation("prepaid", "Prepaid", Decimal("0"), False),
                CatalogVariation("postpaid", "Postpaid", Decimal("0"), False),
            ],
            "dstv": [CatalogVariation("dstv79", "DStv Compact", Decimal("19000.00"), True)],
        }
        self.calls = 0
        self.fail_on = None

    def categories(self):
        self.calls += 1
        return [CatalogCategory(identifier, identifier) for identifier in self.services_by_category]

    def services(self, *, category):
        self.calls += 1
        return list(self.services_by_category[category])

    def variations(self, *, service_id):
        self.calls += 1
        if service_id == self.fail_on:
            raise BillProviderError()
        return list(self.variations_by_service.get(service_id, []))


@pytest.fixture
def provider():
    return FakeProvider()


def test_sync_creates_categories_billers_and_variations(provider):
    result = sync_catalog(provider=provider)
    assert sorted(result.created) == [
        "9mobile",
        "dstv",
        "ikeja-electric-postpaid",
        "ikeja-electric-prepaid",
        "mtn",
        "mtn-data",
    ]
    assert list(BillCategory.objects.values_list("code", flat=True)) == [
        "airtime",
        "data",
        "electricity",
        "tv",
        "education",
    ]
    prepaid = Biller.objects.get(slug="ikeja-electric-prepaid")
    assert (prepaid.service_id, prepaid.meter_type, prepaid.category.code) == (
        "ikeja-electric",
        "prepaid",
        "electricity",
    )
    assert prepaid.name == "Ikeja Electric (Prepaid)"
    assert prepaid.needs_verification
    assert not prepaid.variations.exists()  # its meter types became billers
    mtn = Biller.objects.get(slug="mtn")
    assert (mtn.min_amount, mtn.max_amount, mtn.category.code) == (Decimal("50"), Decimal("50000"), "airtime")
    assert not mtn.needs_verification
    assert Biller.objects.get(slug="9mobile").service_id == "etisalat"
    assert list(BillVariation.objects.filter(biller__slug="mtn-data").values_list("code", "amount")) == [
        ("mtn-1gb", Decimal("350.00")),
        ("mtn-2gb", Decimal("1200.00")),
    ]
    assert result.variations_created == 3


def test_sync_twice_changes_nothing(provider):
    sync_catalog(provider=provider)
    stamps = list(Biller.objects.order_by("pk").values_list("pk", "synced_at"))
    result = sync_catalog(provider=provider)
    assert result.as_dict() == {
        "created": [],
        "updated": [],
        "deactivated": [],
        "variations_created": 0,
        "variations_updated": 0,
        "variations_deactivated": 0,
    }
    assert list(Biller.objects.order_by("pk").values_list("pk", "synced_at")) == stamps


def test_a_dropped_service_or_plan_becomes_inactive_and_comes_back(provider):
    sync_catalog(provider=provider)
    provider.services_by_category["airtime"] = provider.services_by_category["airtime"][:1]
    provider.variations_by_service["mtn-data"] = provider.variations_by_service["mtn-data"][:1]
    provider.variations_by_service["ikeja-electric"] = provider.variations_by_service["ikeja-electric"][:1]
    result = sync_catalog(provider=provider)
    assert sorted(result.deactivated) == ["9mobile", "ikeja-electric-postpaid"]
    assert result.variations_deactivated == 1
    assert Biller.objects.filter(slug="9mobile", active=False).exists()  # kept, not deleted
    assert BillVariation.objects.filter(code="mtn-2gb", active=False).exists()

    provider.__init__()  # the provider offers everything again
    result = sync_catalog(provider=provider)
    assert sorted(result.updated) == ["9mobile", "ikeja-electric-postpaid"]
    assert result.variations_updated == 1
    assert not Biller.objects.filter(active=False).exists()
    assert not BillVariation.objects.filter(active=False).exists()


def test_a_price_change_updates_the_plan(provider):
    sync_catalog(provider=provider)
    provider.variations_by_service["mtn-data"][0] = CatalogVariation("mtn-1gb", "1GB - 1 day", Decimal("400.00"), True)
    provider.services_by_category["airtime"][0] = CatalogService(
        "mtn", "MTN Airtime VTU", Decimal("100"), Decimal("50000")
    )
    result = sync_catalog(provider=provider)
    assert result.updated == ["mtn"]
    assert result.variations_updated == 1
    assert BillVariation.objects.get(code="mtn-1gb").amount == Decimal("400.00")
    assert Biller.objects.get(slug="mtn").min_amount == Decimal("100")


def test_a_provider_error_changes_nothing(provider):
    sync_catalog(provider=provider)
    provider.services_by_category["airtime"] = []
    provider.fail_on = "dstv"
    with pytest.raises(BillProviderError):
        sync_catalog(provider=provider)
    assert not Biller.objects.filter(active=False).exists()


def test_sync_from_the_sandbox_builds_the_whole_catalog(settings):
    settings.PROVIDERS_SANDBOX = True
    result = sync_catalog()
    slugs = set(Biller.objects.values_list("slug", flat=True))
    assert {
        "mtn",
        "glo",
        "airtel",
        "9mobile",
        "mtn-data",
        "9mobile-data",
        "dstv",
        "gotv",
        "startimes",
        "showmax",
    } <= slugs
    assert {"ikeja-electric-prepaid", "ikeja-electric-postpaid", "eko-electric-prepaid", "waec"} <= slugs
    assert not Biller.objects.filter(service_id="other-services").exists()
    assert BillVariation.objects.filter(biller__slug="dstv").count() == 6
    assert len(result.created) == len(slugs)
    assert sync_catalog().created == []


def test_sync_billers_command_and_task(settings):
    settings.PROVIDERS_SANDBOX = True
    out = StringIO()
    call_command("sync_billers", stdout=out)
    assert "created" in out.getvalue() and "0 deactivated" in out.getvalue()
    assert sync_billers()["created"] == []


def test_sync_billers_command_reports_an_outage(settings, monkeypatch):
    settings.PROVIDERS_SANDBOX = True

    def down(*, provider=None):
        raise BillProviderError()

    monkeypatch.setattr("billpay.management.commands.sync_billers.sync_catalog", down)
    with pytest.raises(CommandError, match="unavailable"):
        call_command("sync_billers", stdout=StringIO())


def test_the_daily_job_is_declared():
    job = job_named("billpay.sync_billers")
    assert job is not None and job.task == "billpay.sync_billers"
    assert job.schedule.timezone == "Africa/Lagos"


# --- selectors ----------------------------------------------------------------------------------------------------


def test_lists_come_from_our_tables_and_the_cache(provider, django_assert_num_queries):
    sync_catalog(provider=provider)
    calls = provider.calls
    billers = list_billers()
    assert [b.slug for b in billers] == [
        "9mobile",
        "mtn",
        "mtn-data",
        "ikeja-electric-postpaid",
        "ikeja-electric-prepaid",
        "dstv",
    ]
    assert {b.slug: b.has_variations for b in billers}["mtn-data"] is True
    assert {b.slug: b.has_variations for b in billers}["mtn"] is False
    with django_assert_num_queries(0):
        assert [b.slug for b in list_billers()] == [b.slug for b in billers]
    assert provider.calls == calls  # no list read called the provider


def test_category_filter_variations_and_lookups(provider, django_assert_num_queries):
    sync_catalog(provider=provider)
    assert [b.slug for b in list_billers(category="electricity")] == [
        "ikeja-electric-postpaid",
        "ikeja-electric-prepaid",
    ]
    assert [v.code for v in list_variations(slug="mtn-data")] == ["mtn-1gb", "mtn-2gb"]
    assert get_variation(slug="dstv", code="dstv79").amount == Decimal("19000.00")
    assert get_biller(slug="mtn").category.code == "airtime"
    with django_assert_num_queries(0):
        assert get_biller(slug="mtn").category.code == "airtime"
        assert len(list_variations(slug="mtn-data")) == 2
    with pytest.raises(BillServiceNotFoundError):
        get_biller(slug="nope")
    with pytest.raises(BillServiceNotFoundError):
        get_variation(slug="dstv", code="nope")


def test_a_sync_refreshes_what_the_cache_serves(provider, django_capture_on_commit_callbacks):
    sync_catalog(provider=provider)
    assert "9mobile" in [b.slug for b in list_billers()]
    assert len(list_variations(slug="mtn-data")) == 2
    provider.services_by_category["airtime"] = provider.services_by_category["airtime"][:1]
    provider.variations_by_service["mtn-data"] = provider.variations_by_service["mtn-data"][:1]
    with django_capture_on_commit_callbacks(execute=True):
        sync_catalog(provider=provider)
    assert "9mobile" not in [b.slug for b in list_billers()]
    assert len(list_variations(slug="mtn-data")) == 1
    with pytest.raises(BillServiceNotFoundError):
        get_biller(slug="9mobile")


def test_the_demo_seed_loads_the_sandbox_catalog_once(db, settings):
    from io import StringIO

    from billpay import demo
    from billpay.models import Biller, BillVariation

    out = StringIO()
    demo.seed(stdout=out)
    count = Biller.objects.count()
    assert count > 20 and "Bill catalog" in out.getvalue()
    demo.seed(stdout=out)
    assert Biller.objects.count() == count

    settings.PROVIDERS_SANDBOX = False
    BillVariation.objects.all().delete()
    Biller.objects.all().delete()
    demo.seed(stdout=out)  # never calls the real VTPass from a demo seed
    assert not Biller.objects.exists()
