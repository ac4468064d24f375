from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared foundations (errors, money); depends on no domain app."""

    name = "core"
    verbose_name = "Core"
