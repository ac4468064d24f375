"""Which adapter speaks for a provider: the offline sandbox by default (with DEBUG), the real one in production.
A vendor is a package `payments/providers/<vendor>/` with `adapter.py` (the real one, built from settings by
`from_settings`) and `sandbox.py`; adding one is those two files, its settings and a line here."""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from payments.providers.base import PaymentProvider
from payments.providers.flutterwave import adapter as flutterwave_adapter
from payments.providers.flutterwave.sandbox import FlutterwaveSandbox
from payments.providers.mpesa import adapter as mpesa_adapter
from payments.providers.mpesa.sandbox import MpesaSandbox
from payments.providers.paystack import adapter as paystack_adapter
from payments.providers.paystack.sandbox import PaystackSandbox
from payments.providers.sandbox import ProviderSandbox


@dataclass(frozen=True)
class Vendor:
    real: Callable[[], PaymentProvider]
    sandbox: type[ProviderSandbox]


VENDORS: dict[str, Vendor] = {
    "paystack": Vendor(real=paystack_adapter.from_settings, sandbox=PaystackSandbox),
    "flutterwave": Vendor(real=flutterwave_adapter.from_settings, sandbox=FlutterwaveSandbox),
    "mpesa": Vendor(real=mpesa_adapter.from_settings, sandbox=MpesaSandbox),
}


def real_provider(name: str) -> PaymentProvider:
    if name not in VENDORS:
        raise ValueError(f"unknown payment provider {name!r}")
    return VENDORS[name].real()


def get_provider(name: str) -> PaymentProvider:
    real = real_provider(name)
    if settings.PROVIDERS_SANDBOX:
        return VENDORS[name].sandbox(real=real)
    return real
