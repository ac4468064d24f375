from django.urls import path

from billpay import views

urlpatterns = [
    path("bills/services/", views.BillServiceListApi.as_view(), name="bill-services"),
    path("bills/services/<str:service_id>/variations/", views.BillVariationListApi.as_view(), name="bill-variations"),
    path("bills/verify/", views.BillVerifyApi.as_view(), name="bill-verify"),
    path("bills/orders/", views.BillOrderListApi.as_view(), name="bill-orders"),
    path("bills/orders/<uuid:order_id>/", views.BillOrderDetailApi.as_view(), name="bill-order"),
    path("bills/orders/<uuid:order_id>/receipt/", views.BillReceiptApi.as_view(), name="bill-order-receipt"),
    path("bills/orders/<uuid:order_id>/token/resend/", views.BillTokenResendApi.as_view(), name="bill-token-resend"),
    path("bills/beneficiaries/", views.BeneficiaryListApi.as_view(), name="bill-beneficiaries"),
    path("bills/beneficiaries/<int:beneficiary_id>/", views.BeneficiaryDetailApi.as_view(), name="bill-beneficiary"),
    path("bills/beneficiaries/<int:beneficiary_id>/orders/", views.BuyAgainApi.as_view(), name="bill-buy-again"),
    path("webhooks/vtpass/<str:token>/", views.VTPassWebhookApi.as_view(), name="webhook-vtpass"),
]
