"""WebhookDelivery and ProcessedEvent move here from payments, keeping their tables (payments 0003 creates them):
this only adds them to core's state, and payments 0007, which depends on this, drops them from payments' state.
Their content types follow, so staff permissions and admin history carry over."""

from django.db import migrations, models

MOVED = ["webhookdelivery", "processedevent"]


def _relabel(apps, *, old: str, new: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        moving = content_type.objects.filter(app_label=old, model=model).first()
        if moving is None:
            continue
        # One under the new label exists only if a post_migrate ran in between (a `migrate <other app>`): it is
        # newer and emptier than the one whose permissions staff hold.
        content_type.objects.filter(app_label=new, model=model).delete()
        moving.app_label = new
        moving.save(update_fields=["app_label"])


def to_core(apps, schema_editor):
    _relabel(apps, old="payments", new="core")


def to_payments(apps, schema_editor):
    _relabel(apps, old="core", new="payments")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        # Permissions and admin history point at content types: deleting one must know them.
        ("auth", "0012_alter_user_first_name_max_length"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="WebhookDelivery",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("provider", models.CharField(max_length=16)),
                        ("headers", models.JSONField(default=dict)),
                        ("body", models.TextField()),
                        ("signature_valid", models.BooleanField(default=False)),
                        ("outcome", models.CharField(blank=True, default="", max_length=64)),
                        ("received_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                    ],
                    options={
                        "verbose_name_plural": "webhook deliveries",
                        "db_table": "payments_webhookdelivery",
                    },
                ),
                migrations.CreateModel(
                    name="ProcessedEvent",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("provider", models.CharField(max_length=16)),
                        ("event_id", models.CharField(max_length=200)),
                        ("outcome", models.CharField(max_length=64)),
                        ("processed_at", models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        "db_table": "payments_processedevent",
                        "constraints": [
                            models.UniqueConstraint(fields=("provider", "event_id"), name="payments_event_once")
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(to_core, to_payments),
    ]
