"""WebhookDelivery and ProcessedEvent now belong to core (core 0001 takes them over with their tables): they leave
payments' state only, no table is touched."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("payments", "0006_cash_book_account_kinds"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="WebhookDelivery"),
                migrations.DeleteModel(name="ProcessedEvent"),
            ],
        ),
    ]
