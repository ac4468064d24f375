from django.apps import AppConfig


class BillPayConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billpay"
    verbose_name = "Bill payments"

    def ready(self) -> None:
        # imported here: the app registry must be ready before models load.
        # ledger_check sees bill money: pending orders back the provider's in-flight account, delivered (not
        # reversed) ones its `<provider>:out` clearing account (payments/backing.py).
        from billpay.models import OrderStatus
        from billpay.providers.registry import provider_codes
        from billpay.services.orders import clearing_backing, in_flight_backing, spent_today
        from payments.backing import register_backing_source
        from payments.entry_status import register_entry_status
        from payments.services.limits import register_outgoing_source

        register_backing_source(
            "billpay", providers=provider_codes(), in_flight=in_flight_backing, clearing=clearing_backing
        )
        # the daily KYC limit counts bill orders with transfers and withdrawals
        register_outgoing_source("billpay", spent_today)
        # a bill's debit in the wallet history says whether the bill was delivered, is pending or came back
        register_entry_status(
            "billpay", field="transaction__bill_order_debit__status", choices=tuple(OrderStatus.choices)
        )
