from collections.abc import Iterator
from importlib import import_module
from types import ModuleType

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
