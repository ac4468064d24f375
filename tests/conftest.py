import os

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import UserFactory

# fixtures every directory shares
pytest_plugins = ["tests.fixtures.money", "tests.fixtures.groups", "tests.fixtures.notifications"]

FORBID_SKIPS = os.environ.get("PAMOJA_FORBID_SKIPS") == "1"


def pytest_collection_modifyitems(config, items):
    """`@pytest.mark.postgres` tests skip, with the reason, when the suite runs on SQLite."""
    if connection.vendor == "postgresql":
        return
    reason = "needs PostgreSQL (set DATABASE_URL=postgres://…); SQLite lacks what this test checks"
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = terminalreporter.stats.get("skipped", [])
    if FORBID_SKIPS and skipped:
        terminalreporter.write_line(f"CI forbids skipped tests; {len(skipped)} skipped.", red=True)


def pytest_sessionfinish(session, exitstatus):
    if hasattr(session.config, "workerinput"):  # an xdist worker; the controller sees every report
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if FORBID_SKIPS and reporter is not None and reporter.stats.get("skipped") and exitstatus == 0:
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Passwords and PINs hash with MD5 in tests only: PBKDF2's cost is for attackers, not for the suite."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


CONFIGURED_PLANS = dict(django_settings.GROUP_PLANS)  # read before any fixture changes it
UNLIMITED_PLAN = {"members": 1000, "loans": True, "statements_export": True, "recorded_payments": True}


@pytest.fixture(autouse=True)
def _plans_lifted(settings):
    """Every plan allows everything in tests, as throttles are lifted: groups made by other tests use the loans,
    exports and recorded payments Free does not include. The plan tests put the real limits back
    (`real_plan_limits`)."""
    settings.GROUP_PLANS = dict.fromkeys(("free", "standard", "premium"), UNLIMITED_PLAN)


@pytest.fixture
def real_plan_limits(settings):
    settings.GROUP_PLANS = CONFIGURED_PLANS


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters and cached values never leak from one test into the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def auth_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client
