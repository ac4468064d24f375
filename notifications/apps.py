from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Connect accounts' announcements, and register in every process the tasks `services` enqueues by name
        # (the web process imports no task module otherwise; services cannot import tasks, which import services).
        from notifications import receivers, tasks  # noqa: F401
