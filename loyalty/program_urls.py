from django.urls import path

from loyalty import program_views

urlpatterns = [
    path("tiers/", program_views.TierListApi.as_view(), name="loyalty-tiers"),
    path("tiers/<int:tier_id>/", program_views.TierDetailApi.as_view(), name="loyalty-tier"),
    path("referrals/", program_views.ReferralListApi.as_view(), name="loyalty-referrals"),
    path(
        "customers/<int:customer_id>/consent/",
        program_views.CustomerConsentApi.as_view(),
        name="loyalty-customer-consent",
    ),
    path("customers/<int:customer_id>/tier/", program_views.CustomerTierApi.as_view(), name="loyalty-customer-tier"),
]
