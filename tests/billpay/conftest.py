import pytest

from billpay.services import sync_catalog


@pytest.fixture(autouse=True)
def _providers(providers_in_process):
    """Every test here runs with the providers' sandboxes in process (tests/fixtures/money.py)."""


@pytest.fixture
def catalog(db):
    """The sandbox's catalog in our tables: mtn, mtn-data, ikeja-electric-prepaid, dstv, ..."""
    return sync_catalog()
