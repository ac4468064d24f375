"""Merchant analytics over REST, under `loyalty/tenants/{tenant_id}/`: any of the tenant's staff reads them."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from loyalty.access import TenantApi
from loyalty.analytics_serializers import AnalyticsQuerySerializer, AnalyticsSerializer
from loyalty.services import analytics

# a date from 2000-01-01 to 2100-12-31 (core.fields.SANE_DATE)
QUERY_DATE = {"type": "string", "format": "date", "pattern": r"^(20[0-9]{2}|2100)-"}

DESCRIPTION = (
    "Per local day of the tenant (its `time_zone`), from `from` to `to` (both included, at most 366 days; by default "
    "the last 30 days to today, or the 30 days from `from` or to `to` when only one is given):\n\n"
    "- `events`: events that occurred that day; `new_customers`: customers enrolled that day;\n"
    "- `issuances`: rewards given that day, of every type, points included;\n"
    "- `redemptions`: rewards redeemed that day, **points rewards excluded** (a points reward is delivered, and "
    "its issuance marked redeemed, as it is given: no customer redeems it);\n"
    "- `budget_used`: the money charged to the budgets that day, i.e. the cost of every reward that became "
    "redeemed that day, points included (charged as they are given): what the budgets' `utilized` grew by. A cost "
    "reserved and then released (expired, cancelled) never counts;\n"
    "- `redemption_rate`: redemptions / issuances to 4 decimals, null with no issuances (a day's may exceed 1: "
    "rewards given earlier redeemed that day).\n\n"
    "`totals` covers the range; `top_rules` and `top_rewards` are the 10 most issued over it (then most redeemed). "
    "Days that are over come from the nightly roll-up (`rolled_up: true`); today is counted live. "
    "Errors: `validation_error` (400) naming `from` or `to` for a date that is not one, a start after the end or a "
    "range over 366 days."
)


class AnalyticsApi(TenantApi):
    @extend_schema(
        summary="The tenant's figures per day over a date range, with totals and the top rules and rewards",
        description=DESCRIPTION,
        parameters=[
            OpenApiParameter("from", QUERY_DATE, description="The first day (YYYY-MM-DD); from 2000-01-01."),
            OpenApiParameter("to", QUERY_DATE, description="The last day, included (YYYY-MM-DD); to 2100-12-31."),
        ],
        responses={
            200: AnalyticsSerializer,
            400: OpenApiResponse(description="`validation_error`: a bad date, a start after the end, over 366 days."),
            403: OpenApiResponse(description="`permission_denied`: an API key (sign in as the tenant's staff)."),
            404: OpenApiResponse(description="`not_found`: no such tenant for you."),
        },
    )
    def get(self, request: Request, tenant_id: Any) -> Response:
        # `?from=` with nothing after it is no date, as Django's forms read it
        query = AnalyticsQuerySerializer(data={k: v for k, v in request.query_params.items() if v != ""})
        query.is_valid(raise_exception=True)
        figures = analytics.daily_figures(
            tenant=self.tenant, start=query.validated_data.get("from"), end=query.validated_data.get("to")
        )
        return Response(AnalyticsSerializer(figures).data)
