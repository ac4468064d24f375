from django.apps import AppConfig


class ContributionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "contributions"
    verbose_name = "Contributions and payouts"

    def ready(self) -> None:
        # imported here: models and services can only load once the app registry is ready
        from contributions import selectors, services
        from contributions.selectors.fund_checks import group_fund_discrepancies
        from groups import hooks
        from payments.backing import register_backing_source
        from payments.charge_purposes import register_charge_purpose
        from payments.ledger_checks import register_ledger_check

        register_charge_purpose(services.CHARGE_PURPOSE, services.settle_contribution_charge)
        register_ledger_check("group_funds", group_fund_discrepancies)
        # paybill payments come in through M-Pesa's clearing account of their own (contributions.services.paybill)
        register_backing_source(
            "paybill",
            providers=["mpesa_paybill"],
            in_flight=dict,
            clearing=selectors.group_money.paybill_clearing_backing,
        )
        hooks.register_group_hook(hooks.GROUP_STARTED, services.create_schedule)
        hooks.register_group_hook(hooks.DUES_PAYMENT, services.pay_group_dues)
        hooks.register_group_hook(hooks.DUES_RETURNED, services.refund_group_dues)
        hooks.register_group_hook(hooks.ATTENDANCE_RECORDED, services.fine_attendance)
        hooks.register_group_hook(hooks.GROUP_FIGURES, selectors.money_figures)
