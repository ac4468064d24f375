from django.urls import path

from contributions import paybill_callbacks, views

urlpatterns = [
    path("contributions/", views.ContributionListApi.as_view(), name="contribution-list"),
    path("contributions/<str:contribution_id>/pay/", views.ContributionPayApi.as_view(), name="contribution-pay"),
    path("penalties/<str:penalty_id>/pay/", views.PenaltyPayApi.as_view(), name="penalty-pay"),
    path("payouts/", views.PayoutListApi.as_view(), name="payout-list"),
    path("groups/<str:group_id>/cycles/", views.CycleListApi.as_view(), name="group-cycles"),
    path("groups/<str:group_id>/rotation/", views.RotationApi.as_view(), name="group-rotation"),
    path("groups/<str:group_id>/swaps/", views.SwapListApi.as_view(), name="group-swaps"),
    path(
        "groups/<str:group_id>/swaps/<int:swap_id>/accept/",
        views.SwapAnswerApi.as_view(accept=True),
        name="group-swap-accept",
    ),
    path(
        "groups/<str:group_id>/swaps/<int:swap_id>/decline/",
        views.SwapAnswerApi.as_view(accept=False),
        name="group-swap-decline",
    ),
    path("groups/<str:group_id>/fines/", views.FineListApi.as_view(), name="group-fines"),
    path("groups/<str:group_id>/loans/", views.LoanListApi.as_view(), name="group-loans"),
    path("groups/<str:group_id>/loans/<int:loan_id>/", views.LoanDetailApi.as_view(), name="group-loan"),
    *[
        path(
            f"groups/<str:group_id>/loans/<int:loan_id>/{name}/",
            views.LoanActionApi.as_view(action_name=name),
            name=f"group-loan-{name}",
        )
        for name in ("approve", "reject", "disburse", "write-off")
    ],
    path("groups/<str:group_id>/loans/<int:loan_id>/repay/", views.LoanRepayApi.as_view(), name="group-loan-repay"),
    path(
        "groups/<str:group_id>/guarantees/<int:guarantee_id>/accept/",
        views.GuaranteeAnswerApi.as_view(accept=True),
        name="group-guarantee-accept",
    ),
    path(
        "groups/<str:group_id>/guarantees/<int:guarantee_id>/decline/",
        views.GuaranteeAnswerApi.as_view(accept=False),
        name="group-guarantee-decline",
    ),
    path("groups/<str:group_id>/payments/", views.RecordedPaymentListApi.as_view(), name="group-payments"),
    path(
        "groups/<str:group_id>/payments/<int:payment_id>/confirm/",
        views.RecordedPaymentConfirmApi.as_view(),
        name="group-payment-confirm",
    ),
    path(
        "groups/<str:group_id>/payments/<int:payment_id>/reject/",
        views.RecordedPaymentRejectApi.as_view(),
        name="group-payment-reject",
    ),
    path("groups/<str:group_id>/statement/", views.GroupStatementApi.as_view(), name="group-statement"),
    path("groups/<str:group_id>/resolutions/", views.ResolutionListApi.as_view(), name="group-resolutions"),
    path(
        "groups/<str:group_id>/resolutions/<int:resolution_id>/",
        views.ResolutionDetailApi.as_view(),
        name="group-resolution",
    ),
    path(
        "groups/<str:group_id>/resolutions/<int:resolution_id>/vote/",
        views.ResolutionVoteApi.as_view(),
        name="group-resolution-vote",
    ),
    path(
        "groups/<str:group_id>/resolutions/<int:resolution_id>/execute/",
        views.ResolutionExecuteApi.as_view(),
        name="group-resolution-execute",
    ),
    path("groups/<str:group_id>/welfare/", views.WelfareFundApi.as_view(), name="group-welfare"),
    path(
        "groups/<str:group_id>/payout-destination/",
        views.PayoutDestinationApi.as_view(),
        name="group-payout-destination",
    ),
    path("groups/<str:group_id>/paybill/", views.PaybillApi.as_view(), name="group-paybill"),
    path(
        "groups/<str:group_id>/paybill/payments/<int:payment_id>/assign/",
        views.PaybillAssignApi.as_view(),
        name="group-paybill-assign",
    ),
    path(
        "groups/<str:group_id>/paybill/payments/<int:payment_id>/confirm/",
        views.PaybillConfirmApi.as_view(),
        name="group-paybill-confirm",
    ),
    path(
        "paybill/mpesa/confirmation/<str:token>/",
        paybill_callbacks.PaybillConfirmationCallback.as_view(),
        name="paybill-confirmation",
    ),
    path(
        "paybill/mpesa/validation/<str:token>/",
        paybill_callbacks.PaybillValidationCallback.as_view(),
        name="paybill-validation",
    ),
    path("groups/<str:group_id>/savings/top-ups/", views.TopUpApi.as_view(), name="group-top-ups"),
    path("groups/<str:group_id>/share-outs/", views.ShareOutListApi.as_view(), name="group-share-outs"),
    path(
        "groups/<str:group_id>/share-outs/preview/", views.ShareOutPreviewApi.as_view(), name="group-share-out-preview"
    ),
    path("groups/<str:group_id>/share-outs/<int:number>/", views.ShareOutDetailApi.as_view(), name="group-share-out"),
    path("groups/<str:group_id>/credit/", views.CreditApi.as_view(), name="group-credit"),
    path("groups/<str:group_id>/plan/", views.GroupPlanApi.as_view(), name="group-plan"),
    path("groups/<str:group_id>/welfare/pay/", views.WelfarePayApi.as_view(), name="group-welfare-pay"),
    path(
        "groups/<str:group_id>/members/<int:membership_id>/statement/",
        views.MemberStatementApi.as_view(),
        name="group-member-statement",
    ),
    path("groups/<str:group_id>/health/", views.GroupHealthApi.as_view(), name="group-health"),
    path("users/dashboard/", views.DashboardApi.as_view(), name="dashboard"),
]
