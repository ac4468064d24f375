"""A demo chama for `make run`: Amina chairs it, Chidi has joined; it is still forming, so both can try dues,
the rotation and start from the SPA."""

from datetime import timedelta
from decimal import Decimal
from typing import TextIO

from django.utils import timezone

from accounts.demo import MEMBERS
from accounts.models import User
from groups.models import SavingsGroup
from groups.services import create_group, join_group

DEMO_GROUP = "Pamoja demo chama"


def seed(*, stdout: TextIO) -> None:
    if SavingsGroup.objects.filter(name=DEMO_GROUP).exists():
        return
    chair, member = (User.objects.get(email=m["email"]) for m in MEMBERS)
    group = create_group(
        creator=chair,
        fields={
            "name": DEMO_GROUP,
            "kind": "chama",
            "currency": "KES",
            "contribution_amount": Decimal("1000.00"),
            "frequency": "monthly",
            "start_date": (timezone.now() + timedelta(days=14)).date(),
            "time_zone": "Africa/Nairobi",
            "payout_order": "random",
            "grace_days": 3,
            "registration_fee": Decimal("200.00"),
            "service_fee_percent": Decimal("1.00"),
            "rules": "Contributions by the 5th; KES 50 fine for each late contribution.",
        },
    )
    join_group(user=member, invite_code=group.invite_code)
    stdout.write(f"Demo group: {DEMO_GROUP} (invite code {group.invite_code})\n")
