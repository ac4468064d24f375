from django.apps import AppConfig


class ContributionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "contributions"
    verbose_name = "Contributions and payouts"

    def ready(self) -> None:
        from contributions.services import CHARGE_PURPOSE, settle_contribution_charge
        from payments.charge_purposes import register_charge_purpose

        register_charge_purpose(CHARGE_PURPOSE, settle_contribution_charge)
