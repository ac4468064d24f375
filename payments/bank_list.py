"""The banks a user may pick from when linking a bank account (`GET banks/available/`): the provider's own list,
asked of its adapter at most once a day per provider and country and kept in the Django cache. A list older than a
day is refreshed on the next request; if the provider cannot be reached then, the older list is served (banks
change rarely), and only with no list at all does the request fail (503 `provider_unavailable`)."""

from dataclasses import asdict
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

from payments.errors import ProviderNotSupportedError
from payments.providers.base import Bank, BankDirectory, ProviderError
from payments.providers.registry import get_provider

COUNTRIES = {"NG": "NGN", "KE": "KES", "GH": "GHS"}  # country → the currency its banks hold
FRESH_FOR = timedelta(days=1)
KEPT_FOR = timedelta(days=7)  # a stale list still answers while the provider is down


def cache_key(*, provider: str, country: str) -> str:
    return f"payments:banks:{provider}:{country}"


def available_banks(*, provider: str, country: str) -> list[Bank]:
    """The provider's banks in `country` (NG, KE, GH), sorted by name."""
    if country not in COUNTRIES:
        raise ProviderNotSupportedError(f"No bank list for {country}; one of {', '.join(COUNTRIES)}.")
    key = cache_key(provider=provider, country=country)
    cached = cache.get(key)
    now = timezone.now()
    if cached is not None and now - cached["fetched_at"] < FRESH_FOR:
        return [Bank(**bank) for bank in cached["banks"]]
    adapter = get_provider(provider)
    if not isinstance(adapter, BankDirectory):
        raise ProviderNotSupportedError(f"{provider} does not pay out to banks.")
    try:
        banks = sorted(adapter.list_banks(country=country), key=lambda bank: bank.name.casefold())
    except ProviderError:
        if cached is not None:
            return [Bank(**bank) for bank in cached["banks"]]
        raise
    cache.set(
        key, {"fetched_at": now, "banks": [asdict(bank) for bank in banks]}, timeout=int(KEPT_FOR.total_seconds())
    )
    return banks
