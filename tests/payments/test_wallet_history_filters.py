"""The wallet history's date filters refuse moments no one means, instead of overflowing."""

import pytest

from tests.payments.test_withdrawals import client, member  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "moment",
    ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", "0001-01-01T00:00:00"],
)
def test_a_wallet_history_filter_out_of_any_sensible_range_is_a_400(client, moment):  # noqa: F811
    for name in ("created_after", "created_before"):
        answer = client.get("/api/v1/wallet/transactions/", {name: moment})
        assert answer.status_code == 400, (name, moment, answer.content)
        assert answer.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("moment", ["2026-01-01T00:00:00+19:27", "2026-06-30T12:00:00-23:59"])
def test_a_wallet_history_filter_with_an_offset_postgresql_refuses_is_still_answered(client, moment):  # noqa: F811
    """ISO 8601 allows offsets PostgreSQL does not (beyond ±15:59): the moment is compared in UTC."""
    for name in ("created_after", "created_before"):
        answer = client.get("/api/v1/wallet/transactions/", {name: moment})
        assert answer.status_code == 200, (name, moment, answer.content)
