from django.urls import URLPattern, URLResolver, include, path

from loyalty import views

TENANT = "loyalty/tenants/<uuid:tenant_id>/"

urlpatterns: list[URLPattern | URLResolver] = [
    path("loyalty/tenants/", views.TenantListApi.as_view(), name="loyalty-tenants"),
    path(TENANT, views.TenantDetailApi.as_view(), name="loyalty-tenant"),
    path(TENANT + "staff/", views.StaffListApi.as_view(), name="loyalty-staff"),
    path(TENANT + "staff/<int:staff_id>/", views.StaffDetailApi.as_view(), name="loyalty-staff-member"),
    path(TENANT + "api-keys/", views.ApiKeyListApi.as_view(), name="loyalty-api-keys"),
    path(TENANT + "api-keys/<int:key_pk>/revoke/", views.ApiKeyRevokeApi.as_view(), name="loyalty-api-key-revoke"),
    path(TENANT + "customers/", views.CustomerListApi.as_view(), name="loyalty-customers"),
    path(TENANT + "customers/<int:customer_id>/", views.CustomerDetailApi.as_view(), name="loyalty-customer"),
]

urlpatterns += [
    path(TENANT + "campaigns/", views.CampaignListApi.as_view(), name="loyalty-campaigns"),
    path(TENANT + "campaigns/<int:campaign_id>/", views.CampaignDetailApi.as_view(), name="loyalty-campaign"),
    path(TENANT + "budgets/", views.BudgetListApi.as_view(), name="loyalty-budgets"),
    path(TENANT + "budgets/<int:budget_id>/", views.BudgetDetailApi.as_view(), name="loyalty-budget"),
    path(TENANT + "budgets/<int:budget_id>/topup/", views.BudgetTopUpApi.as_view(), name="loyalty-budget-topup"),
    path(TENANT + "ledger/", views.BudgetLedgerApi.as_view(), name="loyalty-ledger"),
    path(TENANT + "rewards/", views.RewardListApi.as_view(), name="loyalty-rewards"),
    path(TENANT + "rewards/<int:reward_id>/", views.RewardDetailApi.as_view(), name="loyalty-reward"),
    path(TENANT + "rewards/<int:reward_id>/codes/", views.RewardCodesApi.as_view(), name="loyalty-reward-codes"),
    path(TENANT + "rules/", views.RuleListApi.as_view(), name="loyalty-rules"),
    path(TENANT + "rules/<int:rule_id>/", views.RuleDetailApi.as_view(), name="loyalty-rule"),
    path(TENANT + "events/", views.EventApi.as_view(), name="loyalty-events"),
    path(TENANT + "issuances/", views.IssuanceListApi.as_view(), name="loyalty-issuances"),
    path(TENANT + "issuances/<int:issuance_id>/", views.IssuanceDetailApi.as_view(), name="loyalty-issuance"),
    path(TENANT + "customers/<int:customer_id>/points/spend/", views.PointsSpendApi.as_view(), name="loyalty-points"),
    path(TENANT + "issuances/<int:issuance_id>/redeem/", views.IssuanceRedeemApi.as_view(), name="loyalty-redeem"),
    path(TENANT + "issuances/<int:issuance_id>/cancel/", views.IssuanceCancelApi.as_view(), name="loyalty-cancel"),
]

# part 2: the customer channels (public), merchants' webhook endpoints, tiers, referrals and consent, analytics
urlpatterns += [
    path("channels/whatsapp/", include("loyalty.channels.whatsapp_urls")),
    path("channels/ussd/", include("loyalty.channels.ussd_urls")),
    path(TENANT, include("loyalty.webhook_urls")),
    path(TENANT, include("loyalty.program_urls")),
    path(TENANT, include("loyalty.analytics_urls")),
]
