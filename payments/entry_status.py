"""What a wallet history row says about money that left the wallet for something still under way, when a higher
app owns that something (a bill order). `payments` knows its withdrawals' statuses; an app that debits wallets for
a purchase of its own registers, in its `AppConfig.ready`, the path from a ledger entry to that purchase's status
column, and the statuses it can hold. `wallet/transactions/` then shows, and filters by, that status instead of
`completed`."""

from dataclasses import dataclass

from core.app_hooks import Registry


@dataclass(frozen=True)
class EntryStatusSource:
    field: str  # from LedgerEntry, e.g. "transaction__bill_order_debit__status"
    choices: tuple[tuple[str, str], ...]


_sources = Registry[EntryStatusSource]("wallet entry status source")


def register_entry_status(name: str, *, field: str, choices: tuple[tuple[str, str], ...]) -> None:
    _sources.register(name, EntryStatusSource(field, choices))


def entry_status_fields() -> list[str]:
    return [source.field for source in _sources.values()]


def entry_status_choices() -> list[tuple[str, str]]:
    """Every status a registered source can show, each once, in registration order."""
    seen: dict[str, str] = {}
    for source in _sources.values():
        for value, label in source.choices:
            seen.setdefault(value, label)
    return list(seen.items())
