from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "loyalty"
    verbose_name = "Merchant loyalty"

    def ready(self) -> None:
        # imported here: the app registry must be ready before models load.
        # ledger_check sees loyalty money: a budget's reserved and spent accounts equal its issuances
        from loyalty.services.budgets import budget_discrepancies
        from payments.ledger_checks import register_ledger_check

        register_ledger_check("loyalty_budgets", budget_discrepancies)
