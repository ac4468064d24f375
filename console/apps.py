from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps  # the module: a class named here would count as a candidate


class ConsoleConfig(AppConfig):
    """The console app: its model, templates and static files, and the hook that records `ledger_check` runs."""

    default = True
    default_auto_field = "django.db.models.BigAutoField"
    name = "console"
    verbose_name = "Staff console"

    def ready(self) -> None:
        # imported here: the app registry must be ready before models load.
        from celery.signals import task_postrun

        from console.signals import record_ledger_check_command, record_ledger_check_task
        from payments.signals import ledger_checked

        # The nightly `payments.ledger_check` task only logs and emails; this keeps its result where the admin
        # index can show it, without payments knowing about the console.
        task_postrun.connect(record_ledger_check_task, dispatch_uid="console.record_ledger_check")
        ledger_checked.connect(record_ledger_check_command, dispatch_uid="console.record_ledger_check_command")


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin with our site class (INSTALLED_APPS lists it in place of `django.contrib.admin`), so the
    index answers "what needs me today" and the dashboard is one of the admin's own pages."""

    default = False
    default_site = "console.sites.StaffAdminSite"
