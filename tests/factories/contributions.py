"""Cycles and contributions as rows: for reads and reports over many cycles. A running group's real schedule
comes from starting it (`groups.services.start_group`)."""

import factory

from contributions.models import Contribution, Cycle
from tests.factories.groups import MembershipFactory


class CycleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cycle

    recipient = factory.SubFactory(MembershipFactory)
    group = factory.SelfAttribute("recipient.group")
    number = factory.Sequence(lambda n: n + 1)
    due_date = factory.LazyAttribute(lambda cycle: cycle.group.start_date)


class ContributionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contribution

    cycle = factory.SubFactory(CycleFactory)
    membership = factory.SelfAttribute("cycle.recipient")
    amount = factory.LazyAttribute(lambda contribution: contribution.cycle.group.contribution_amount)
    due_date = factory.SelfAttribute("cycle.due_date")
