from django.db import migrations, models

import accounts.models


def fill_referral_codes(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    taken = set()
    for user in User.objects.filter(referral_code__isnull=True).only("pk"):
        code = accounts.models.new_referral_code()
        while code in taken:
            code = accounts.models.new_referral_code()
        taken.add(code)
        User.objects.filter(pk=user.pk).update(referral_code=code)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_staff_audit")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="language",
            field=models.CharField(choices=[("en", "English"), ("sw", "Kiswahili")], default="en", max_length=2),
        ),
        migrations.AddField(
            model_name="user",
            name="avatar",
            field=models.FileField(blank=True, default="", upload_to="avatars/"),
        ),
        migrations.AddField(
            model_name="user",
            name="referral_code",
            field=models.CharField(max_length=12, null=True, editable=False),
        ),
        migrations.RunPython(fill_referral_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="referral_code",
            field=models.CharField(
                default=accounts.models.new_referral_code, editable=False, max_length=12, unique=True
            ),
        ),
    ]
