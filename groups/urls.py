from django.urls import path

from groups import views

urlpatterns = [
    path("groups/", views.GroupListApi.as_view(), name="group-list"),
    path("groups/join/", views.GroupJoinApi.as_view(), name="group-join"),
    path("groups/<str:group_id>/", views.GroupDetailApi.as_view(), name="group-detail"),
    path("groups/<str:group_id>/start/", views.GroupStartApi.as_view(), name="group-start"),
    path("groups/<str:group_id>/cancel/", views.GroupCancelApi.as_view(), name="group-cancel"),
    path("groups/<str:group_id>/invite/", views.GroupInviteApi.as_view(), name="group-invite"),
    path("groups/<str:group_id>/invites/", views.GroupInvitesApi.as_view(), name="group-invites"),
    path("groups/<str:group_id>/dues/", views.GroupDuesApi.as_view(), name="group-dues"),
    path("groups/<str:group_id>/leave/", views.GroupLeaveApi.as_view(), name="group-leave"),
    path("groups/<str:group_id>/members/", views.MemberListApi.as_view(), name="group-members"),
    path("groups/<str:group_id>/members/<int:membership_id>/", views.MemberDetailApi.as_view(), name="group-member"),
    path("groups/<str:group_id>/messages/", views.MessageListApi.as_view(), name="group-messages"),
    path("groups/<str:group_id>/meetings/", views.MeetingListApi.as_view(), name="group-meetings"),
    path("groups/<str:group_id>/meetings/<int:meeting_id>/", views.MeetingDetailApi.as_view(), name="group-meeting"),
]
