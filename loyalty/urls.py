from django.urls import path

from loyalty import views

TENANT = "loyalty/tenants/<uuid:tenant_id>/"

urlpatterns = [
    path("loyalty/tenants/", views.TenantListApi.as_view(), name="loyalty-tenants"),
    path(TENANT, views.TenantDetailApi.as_view(), name="loyalty-tenant"),
    path(TENANT + "staff/", views.StaffListApi.as_view(), name="loyalty-staff"),
    path(TENANT + "staff/<int:staff_id>/", views.StaffDetailApi.as_view(), name="loyalty-staff-member"),
    path(TENANT + "api-keys/", views.ApiKeyListApi.as_view(), name="loyalty-api-keys"),
    path(TENANT + "api-keys/<int:key_pk>/revoke/", views.ApiKeyRevokeApi.as_view(), name="loyalty-api-key-revoke"),
    path(TENANT + "customers/", views.CustomerListApi.as_view(), name="loyalty-customers"),
    path(TENANT + "customers/<int:customer_id>/", views.CustomerDetailApi.as_view(), name="loyalty-customer"),
]
