"""The analytics API's shapes: the query (`from`, `to`) and the figures per day, their totals and the top rules and
rewards. Money as strings in the tenant's currency, as budgets show it."""

from typing import Any

from rest_framework import serializers

from core.fields import SANE_DATE
from loyalty.models import RewardType


class AnalyticsQuerySerializer(serializers.Serializer[Any]):
    """`from` is a Python keyword, so the fields are named here rather than declared as attributes."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {
            "from": serializers.DateField(required=False, validators=SANE_DATE),
            "to": serializers.DateField(required=False, validators=SANE_DATE),
        }


class AnalyticsFiguresSerializer(serializers.Serializer[Any]):
    events = serializers.IntegerField(help_text="Events that occurred.")
    new_customers = serializers.IntegerField(help_text="Customers enrolled.")
    issuances = serializers.IntegerField(help_text="Rewards given, of every type (points included).")
    redemptions = serializers.IntegerField(
        help_text="Rewards redeemed, points rewards excluded (they are delivered as they are given)."
    )
    redemption_rate = serializers.FloatField(
        allow_null=True, help_text="redemptions / issuances, to 4 decimals; null with no issuances."
    )
    budget_used = serializers.CharField(
        help_text="Charged to the budgets: the cost of the rewards that became redeemed, points included."
    )


class AnalyticsDaySerializer(AnalyticsFiguresSerializer):
    day = serializers.DateField(help_text="The tenant's local day.")
    rolled_up = serializers.BooleanField(help_text="Read from the day's roll-up (false: counted by this call).")


class AnalyticsTopRuleSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField(allow_null=True, help_text="Null for a rule deleted since.")
    issuances = serializers.IntegerField()
    redemptions = serializers.IntegerField()


class AnalyticsTopRewardSerializer(AnalyticsTopRuleSerializer):
    reward_type = serializers.ChoiceField(choices=RewardType.choices, allow_null=True)


class AnalyticsSerializer(serializers.Serializer[Any]):
    # `from` again: a Python keyword
    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        return {
            "from": serializers.DateField(source="start", help_text="The first day, included."),
            "to": serializers.DateField(source="end", help_text="The last day, included."),
            "time_zone": serializers.CharField(help_text="The tenant's zone, whose days these are."),
            "currency": serializers.CharField(help_text="The currency of `budget_used`."),
            "totals": AnalyticsFiguresSerializer(help_text="The whole range."),
            "days": AnalyticsDaySerializer(many=True),
            "top_rules": AnalyticsTopRuleSerializer(many=True, help_text="At most 10, by issuances."),
            "top_rewards": AnalyticsTopRewardSerializer(many=True, help_text="At most 10, by issuances."),
        }
