"""E-money backing that another app owns: what its open items say should sit in flight and in a provider's
clearing account, for `ledger_check` (`payments.selectors.e_money_backing_discrepancies`).

`payments` knows its own deposits and withdrawals; a higher app that moves wallet money out through a provider of
its own (`billpay` and its bill provider) registers a source in its `AppConfig.ready`, naming the provider codes
it owns. The check then treats those codes' in-flight (`<code>`) and clearing (`<code>:in`, `<code>:out`) accounts
as real providers' and compares them with what the source reports, instead of flagging them as money from nowhere.
`payments` stays ignorant of bills: it only knows a name, some codes and two callables.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from core.app_hooks import Registry

# (account code, currency) → amount: for in-flight the code is the provider's (`vtpass`), for clearing the
# clearing account's (`vtpass:out`).
BackingAmounts = Mapping[tuple[str, str], Decimal]


@dataclass(frozen=True)
class BackingSource:
    providers: frozenset[str]
    in_flight: Callable[[], BackingAmounts]
    clearing: Callable[[], BackingAmounts]


class _Sources(Registry[BackingSource]):
    def all(self) -> list[BackingSource]:
        return list(self._items.values())


_sources = _Sources("ledger backing source")


def register_backing_source(
    name: str,
    *,
    providers: Iterable[str],
    in_flight: Callable[[], BackingAmounts],
    clearing: Callable[[], BackingAmounts],
) -> None:
    """`in_flight()` returns what the app's open items hold in flight per (provider code, currency);
    `clearing()` what its settled items put in clearing per (`<code>:in` | `<code>:out`, currency)."""
    _sources.register(name, BackingSource(frozenset(providers), in_flight, clearing))


def registered_providers() -> frozenset[str]:
    return frozenset(code for source in _sources.all() for code in source.providers)


def _summed(parts: Iterable[BackingAmounts]) -> dict[tuple[str, str], Decimal]:
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for part in parts:
        for key, amount in part.items():
            totals[key] += amount
    return dict(totals)


def expected_in_flight() -> dict[tuple[str, str], Decimal]:
    return _summed(source.in_flight() for source in _sources.all())


def expected_clearing() -> dict[tuple[str, str], Decimal]:
    return _summed(source.clearing() for source in _sources.all())
