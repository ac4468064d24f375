from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared foundations (errors, money); depends on no domain app."""

    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # imported here: the fields module needs settings and DRF, which load after the app registry
        from core.fields import accept_only_booleans_as_booleans, accept_only_strings_as_text

        accept_only_strings_as_text()
        accept_only_booleans_as_booleans()
