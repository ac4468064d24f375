from django.urls import path

from payments import card_views, receipt_views, views, webhook_views

urlpatterns = [
    path("wallet/", views.WalletApi.as_view(), name="wallet"),
    path("wallet/transactions/", views.WalletTransactionsApi.as_view(), name="wallet-transactions"),
    path(
        "wallet/transactions/<int:entry_id>/",
        receipt_views.WalletTransactionDetailApi.as_view(),
        name="wallet-transaction",
    ),
    path(
        "wallet/transactions/<int:entry_id>/receipt/",
        receipt_views.WalletReceiptApi.as_view(),
        name="wallet-transaction-receipt",
    ),
    path("wallet/statement/", receipt_views.WalletStatementApi.as_view(), name="wallet-statement"),
    path("wallet/deposits/", receipt_views.DepositListApi.as_view(), name="wallet-deposits"),
    path("wallet/transfers/", receipt_views.TransferListApi.as_view(), name="wallet-transfers"),
    path("wallet/transfer/", views.TransferApi.as_view(), name="wallet-transfer"),
    path("wallet/deposit/", views.DepositApi.as_view(), name="wallet-deposit"),
    path("wallet/deposits/<str:reference>/", views.DepositStatusApi.as_view(), name="wallet-deposit-status"),
    path("wallet/withdraw/", views.WithdrawApi.as_view(), name="wallet-withdraw"),
    path("wallet/withdrawals/", views.WithdrawalListApi.as_view(), name="wallet-withdrawals"),
    path("banks/", views.BankAccountListApi.as_view(), name="banks"),
    path("banks/available/", card_views.AvailableBankListApi.as_view(), name="banks-available"),
    path("cards/", views.CardListApi.as_view(), name="cards"),
    path("cards/<uuid:card_id>/", card_views.CardDetailApi.as_view(), name="card"),
    path("cards/<uuid:card_id>/deposit/", card_views.CardDepositApi.as_view(), name="card-deposit"),
    path("webhooks/paystack/", webhook_views.PaystackWebhookApi.as_view(), name="webhook-paystack"),
    path("webhooks/flutterwave/", webhook_views.FlutterwaveWebhookApi.as_view(), name="webhook-flutterwave"),
    path("webhooks/mpesa/<str:token>/", webhook_views.MpesaWebhookApi.as_view(), name="webhook-mpesa"),
]
