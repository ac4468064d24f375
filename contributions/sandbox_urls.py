from django.urls import path

from contributions import sandbox_views

urlpatterns = [
    path("mpesa/paybill/pay/", sandbox_views.SandboxPaybillPayment.as_view(), name="sandbox-paybill-pay"),
]
