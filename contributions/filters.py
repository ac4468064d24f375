import django_filters

from contributions.models import Contribution, ContributionStatus, Payout


class ContributionFilter(django_filters.FilterSet):
    group = django_filters.UUIDFilter(field_name="cycle__group_id")
    status = django_filters.ChoiceFilter(choices=ContributionStatus.choices)

    class Meta:
        model = Contribution
        fields = ["group", "status"]


class PayoutFilter(django_filters.FilterSet):
    group = django_filters.UUIDFilter(field_name="cycle__group_id")

    class Meta:
        model = Payout
        fields = ["group"]
