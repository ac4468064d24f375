"""The signed-in user of a request, as a `User`.

`request.user` is typed `User | AnonymousUser`: authentication may not have found anyone. Views behind
`IsAuthenticated` (the API's default permission) and the admin's pages only run for a signed-in user, so they read
it through `signed_in_user`, which says so to the type checker and answers 401 should a view ever run without one.
"""

from django.http import HttpRequest
from rest_framework.exceptions import NotAuthenticated

from accounts.models import User


def signed_in_user(request: HttpRequest) -> User:
    """The request's `User`; `NotAuthenticated` (401) for an anonymous request."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated()
    return user
