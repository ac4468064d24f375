from django.apps import AppConfig


class PlatformConfig(AppConfig):
    """The cross-cutting plumbing in `config/` as an app, so its management commands are found."""

    name = "config"
    label = "platform"
    verbose_name = "Platform"
