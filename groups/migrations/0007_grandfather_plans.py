"""Groups that existed before plans keep every feature for 90 days (Premium's limits, paid for by nobody): their
chair then chooses a plan, or the group has Free's limits. Nothing is billed without the chair choosing."""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone

TRANSITION = timedelta(days=90)


def grandfather(apps, schema_editor):
    SavingsGroup = apps.get_model("groups", "SavingsGroup")
    until = timezone.now().date() + TRANSITION
    SavingsGroup.objects.exclude(status__in=["completed", "cancelled"]).update(
        plan_paid="premium", plan_paid_through=until
    )


class Migration(migrations.Migration):
    dependencies = [("groups", "0006_plans")]

    operations = [migrations.RunPython(grandfather, migrations.RunPython.noop)]
