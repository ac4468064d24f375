"""The documented error answers every group endpoint shares (a group's money endpoints in `contributions` too)."""

from drf_spectacular.utils import OpenApiResponse

NOT_MEMBER = {404: OpenApiResponse(description="`group_not_found`: no such group, or you are not a member.")}
OFFICIALS = {403: OpenApiResponse(description="`officials_only` or `chair_only`."), **NOT_MEMBER}
