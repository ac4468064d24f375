from django.urls import path

from payments import views

urlpatterns = [
    path("wallet/", views.WalletApi.as_view(), name="wallet"),
    path("wallet/transactions/", views.WalletTransactionsApi.as_view(), name="wallet-transactions"),
    path("wallet/transfer/", views.TransferApi.as_view(), name="wallet-transfer"),
]
