"""Groups and memberships as rows, for tests that need a group but not the path that opens one (that path has its
own API tests). A group built here is forming; start it with `groups.services.start_group`, which builds the
schedule as production does."""

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory

from core.clock import local_today
from groups import rotation
from groups.models import GroupKind, Membership, MembershipStatus, PayoutOrder, Role, SavingsGroup
from tests.factories.accounts import UserFactory

NAIROBI = ZoneInfo("Africa/Nairobi")


class SavingsGroupFactory(factory.django.DjangoModelFactory):
    """A forming Kenyan chama: KES 1,000 weekly, first due in a week; the creator is not a member yet (use
    `MembershipFactory(group=…, role=Role.CHAIR)` or `chaired_by`)."""

    class Meta:
        model = SavingsGroup
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Test chama {n}")
    kind = GroupKind.CHAMA
    currency = "KES"
    contribution_amount = Decimal("1000.00")
    frequency = "weekly"
    start_date = factory.LazyFunction(lambda: local_today(NAIROBI) + timedelta(days=7))
    time_zone = "Africa/Nairobi"
    payout_order = PayoutOrder.JOIN
    invite_code = factory.Sequence(lambda n: f"TESTINVITE{n:06d}")
    created_by = factory.SubFactory(UserFactory)

    @factory.lazy_attribute
    def seed(self) -> str:
        return rotation.new_seed() if self.payout_order == PayoutOrder.RANDOM else ""

    @factory.lazy_attribute
    def seed_commitment(self) -> str:
        return rotation.commitment(self.seed) if self.seed else ""

    @factory.post_generation
    def chaired_by(group, create, extracted, **kwargs):
        """`chaired_by=True` makes the creator the chair, as opening a group through the API does."""
        if create and extracted:
            MembershipFactory(group=group, user=group.created_by, role=Role.CHAIR)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    group = factory.SubFactory(SavingsGroupFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER
    status = MembershipStatus.ACTIVE
