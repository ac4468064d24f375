"""How a lower layer reaches a higher one without importing it: each app's `<app>.<submodule>` found by name
(`installed_app_modules`: schedules, demo data, account-deletion obligations), and named registries a higher app
fills at start-up (`Registry`: a charge's purpose, say)."""

from collections.abc import Iterator
from importlib import import_module
from types import ModuleType
from typing import Generic, TypeVar

from django.apps import apps


def installed_app_modules(submodule: str) -> Iterator[ModuleType]:
    """Each installed app's `<app>.<submodule>` that exists, in INSTALLED_APPS order.

    A module that exists but fails to import raises: only a missing module is skipped.
    """
    for app_config in apps.get_app_configs():
        name = f"{app_config.name}.{submodule}"
        try:
            yield import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


T = TypeVar("T")


class Registry(Generic[T]):
    """Names to handlers, filled by the apps that own them (in their `AppConfig.ready`), read by the app that
    calls them. Registering a name twice with another handler is a mistake and says so."""

    def __init__(self, what: str):
        self.what = what
        self._items: dict[str, T] = {}

    def register(self, name: str, item: T) -> None:
        if self._items.get(name, item) is not item:
            raise ValueError(f"{self.what} {name!r} is registered already")
        self._items[name] = item

    def get(self, name: str) -> T | None:
        return self._items.get(name)

    def values(self) -> list[T]:
        """Every registered handler, in registration order."""
        return list(self._items.values())
