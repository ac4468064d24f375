"""The staff roles as permission groups: Finance, Support and Auditor (issue 18).

- Finance: sees everything, runs money corrections (reversals, payment reviews, KYC decisions, held withdrawals,
  bill-order requery and refund) and suspends users.
- Support: sees users, their savings groups and notifications; verifies users and resends notifications. No money.
- Auditor: sees everything, changes nothing.

A permission is named "app_label.codename"; "*.view_*" is every view permission there is when this runs (models
added later join a role through a later migration). Staff are put in a group from the user's page in the admin."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MONEY_CORRECTIONS = [
    "console.run_money_corrections",
    "console.suspend_users",
    # the older, narrower permissions the same actions also accept
    "payments.reverse_ledgertransaction",
    "payments.change_withdrawal",
    "billpay.change_billorder",
]

ROLES: dict[str, list[str]] = {
    "Finance": ["*.view_*", *MONEY_CORRECTIONS],
    "Support": [
        "accounts.view_user",
        "accounts.view_kycsubmission",
        "groups.view_savingsgroup",
        "groups.view_membership",
        "groups.view_meeting",
        "notifications.view_notification",
        "notifications.view_delivery",
        "notifications.change_delivery",  # resend (the delivery admin is read-only: this allows nothing else)
        "console.verify_users",
    ],
    "Auditor": ["*.view_*"],
}


def _permissions(apps, names: list[str]) -> list:
    Permission = apps.get_model("auth", "Permission")
    found = []
    for name in names:
        app_label, codename = name.split(".")
        if name == "*.view_*":
            found += list(Permission.objects.filter(codename__startswith="view_"))
            continue
        permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
        if permission is None:
            raise LookupError(f"no permission {name}")
        found.append(permission)
    return found


def create_roles(apps, schema_editor) -> None:
    # Permissions are made after `migrate` (post_migrate): on a fresh database none exist yet, so make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    for name, permissions in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(_permissions(apps, permissions))


def remove_roles(apps, schema_editor) -> None:
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("console", "0001_initial"),
        ("accounts", "0011_session_revocation"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("axes", "0010_accessattemptexpiration"),
        ("billpay", "0002_bill_orders"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("contributions", "0008_paybill"),
        ("core", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("groups", "0009_paybill"),
        ("loyalty", "0002_row_level_security"),
        ("notifications", "0001_initial"),
        ("payments", "0014_velocity_limits"),
        ("sessions", "0001_initial"),
        ("token_blacklist", "0013_alter_blacklistedtoken_options_and_more"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="ledgercheckrun",
            options={
                "get_latest_by": "finished_at",
                "ordering": ["-finished_at", "-id"],
                "permissions": [
                    (
                        "run_money_corrections",
                        "Can run money corrections (reversals, reviews, KYC, held withdrawals)",
                    ),
                    ("verify_users", "Can mark users verified"),
                    ("suspend_users", "Can suspend users (ends their sessions)"),
                ],
            },
        ),
        migrations.RunPython(create_roles, remove_roles),
    ]
