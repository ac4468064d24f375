from django.urls import path

from payments import views, webhook_views

urlpatterns = [
    path("wallet/", views.WalletApi.as_view(), name="wallet"),
    path("wallet/transactions/", views.WalletTransactionsApi.as_view(), name="wallet-transactions"),
    path("wallet/transfer/", views.TransferApi.as_view(), name="wallet-transfer"),
    path("wallet/deposit/", views.DepositApi.as_view(), name="wallet-deposit"),
    path("wallet/deposits/<str:reference>/", views.DepositStatusApi.as_view(), name="wallet-deposit-status"),
    path("wallet/withdraw/", views.WithdrawApi.as_view(), name="wallet-withdraw"),
    path("wallet/withdrawals/", views.WithdrawalListApi.as_view(), name="wallet-withdrawals"),
    path("banks/", views.BankAccountListApi.as_view(), name="banks"),
    path("cards/", views.CardListApi.as_view(), name="cards"),
    path("webhooks/paystack/", webhook_views.PaystackWebhookApi.as_view(), name="webhook-paystack"),
    path("webhooks/flutterwave/", webhook_views.FlutterwaveWebhookApi.as_view(), name="webhook-flutterwave"),
    path("webhooks/mpesa/<str:token>/", webhook_views.MpesaWebhookApi.as_view(), name="webhook-mpesa"),
]
