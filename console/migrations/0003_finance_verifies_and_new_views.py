"""Finance verifies users too (the console's front line finds a member and confirms them), and Finance and Auditor
see the models added since the roles were made (loyalty's tiers, referrals, consent, channels, outbound webhooks and
daily figures; the withdrawal retries): "*.view_*" is re-read now."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


# What Finance gains here, beyond "*.view_*" (a test that rebuilds the roles after a flush reads it).
FINANCE_ALSO = [("console", "verify_users")]


def _refresh_permissions(apps, schema_editor) -> None:
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
        app_config.models_module = None


def grant(apps, schema_editor) -> None:
    _refresh_permissions(apps, schema_editor)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    views = list(Permission.objects.filter(codename__startswith="view_"))
    for name in ("Finance", "Auditor"):
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.add(*views)
    finance = Group.objects.filter(name="Finance").first()
    if finance is not None:
        for app_label, codename in FINANCE_ALSO:
            finance.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def revoke(apps, schema_editor) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    finance = Group.objects.filter(name="Finance").first()
    if finance is not None:
        finance.permissions.remove(
            *Permission.objects.filter(content_type__app_label="console", codename="verify_users")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("console", "0002_staff_groups"),
        ("accounts", "0012_user_banned_at"),
        ("loyalty", "0004_part2_row_level_security"),
        ("payments", "0015_withdrawal_retry_of"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
