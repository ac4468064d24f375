"""The paths of invite links as the SPA serves them under `FRONTEND_URL`: the group's `invite_link` and the invite
notification's link."""

from django.urls import re_path

from groups import pages

urlpatterns = [
    re_path(r"^join/(?P<invite_code>[A-Za-z0-9 -]{1,40})/?$", pages.InvitePage.as_view(), name="page-join"),
    re_path(r"^invites/(?P<invite_code>[A-Za-z0-9 -]{1,40})/?$", pages.InvitePage.as_view(), name="page-invite"),
]
