"""The API keeps its word: no operation, status code or body field of the committed baseline disappears."""

import json

import pytest

from tests.platform.schema_contract import BASELINE, contract, current_schema, removals

pytestmark = pytest.mark.django_db


def test_nothing_the_baseline_promises_is_removed_or_renamed():
    lost = removals(json.loads(BASELINE.read_text()), contract(current_schema()))
    assert lost == [], "\n".join(lost)


def test_a_removed_field_or_operation_is_reported():
    schema = current_schema()
    today = contract(schema)
    operation = "GET /api/v1/wallet/"
    changed = json.loads(json.dumps(today))
    changed[operation]["responses"]["200"].remove("wallets[].balance")
    del changed["POST /api/v1/wallet/transfer/"]
    assert removals(today, changed) == [
        "GET /api/v1/wallet/: 200 field wallets[].balance is gone",
        "POST /api/v1/wallet/transfer/: the operation is gone",
    ]
