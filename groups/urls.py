from django.urls import path

from groups import views

urlpatterns = [
    path("groups/", views.GroupListApi.as_view(), name="group-list"),
    path("groups/join/", views.GroupJoinApi.as_view(), name="group-join"),
    path("groups/<str:group_id>/", views.GroupDetailApi.as_view(), name="group-detail"),
    path("groups/<str:group_id>/start/", views.GroupStartApi.as_view(), name="group-start"),
    path("groups/<str:group_id>/cancel/", views.GroupCancelApi.as_view(), name="group-cancel"),
    path("groups/<str:group_id>/invite/", views.GroupInviteApi.as_view(), name="group-invite"),
    path("groups/<str:group_id>/dues/", views.GroupDuesApi.as_view(), name="group-dues"),
    path("groups/<str:group_id>/leave/", views.GroupLeaveApi.as_view(), name="group-leave"),
    path("groups/<str:group_id>/members/", views.MemberListApi.as_view(), name="group-members"),
    path("groups/<str:group_id>/members/<int:membership_id>/", views.MemberDetailApi.as_view(), name="group-member"),
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
    path("groups/<str:group_id>/messages/", views.MessageListApi.as_view(), name="group-messages"),
]
