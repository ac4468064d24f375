"""Which adapter speaks for the bill provider: VTPass's offline sandbox with PROVIDERS_SANDBOX (the default with
DEBUG), the real one otherwise. A vendor is a package `billpay/providers/<vendor>/` with `adapter.py` and
`sandbox.py`; services ask this module, never a vendor by name."""

from django.conf import settings

from billpay.models import SandboxBillTransaction
from billpay.providers.base import BillProvider
from billpay.providers.vtpass import adapter as vtpass_adapter
from billpay.providers.vtpass.sandbox import SPECIAL_NUMBERS, VTPassSandbox


def get_bill_provider() -> BillProvider:
    if settings.PROVIDERS_SANDBOX:
        return VTPassSandbox()
    return vtpass_adapter.from_settings()


def complete_sandbox_transaction(*, request_id: str, outcome: str) -> SandboxBillTransaction:
    return VTPassSandbox.complete_transaction(request_id=request_id, outcome=outcome)


def provider_codes() -> frozenset[str]:
    """Every bill provider's code (an order's `provider`, its in-flight and clearing accounts' code)."""
    return frozenset({vtpass_adapter.VTPassProvider.name})


def sandbox_test_numbers() -> frozenset[str]:
    """The sandbox's pending, timeout, no-answer and unexpected-answer numbers, which stand for a phone too (as in
    VTPass's own sandbox), so airtime and data can be tried on every path; none outside the sandbox."""
    return SPECIAL_NUMBERS if settings.PROVIDERS_SANDBOX else frozenset()
