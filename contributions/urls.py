from django.urls import path

from contributions import views

urlpatterns = [
    path("contributions/", views.ContributionListApi.as_view(), name="contribution-list"),
    path("contributions/<str:contribution_id>/pay/", views.ContributionPayApi.as_view(), name="contribution-pay"),
    path("penalties/<str:penalty_id>/pay/", views.PenaltyPayApi.as_view(), name="penalty-pay"),
    path("payouts/", views.PayoutListApi.as_view(), name="payout-list"),
    path("groups/<str:group_id>/cycles/", views.CycleListApi.as_view(), name="group-cycles"),
]
