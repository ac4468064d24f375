import pytest


@pytest.fixture(autouse=True)
def _providers(providers_in_process):
    """Every test here runs with the providers' sandboxes in process (tests/fixtures/money.py)."""
