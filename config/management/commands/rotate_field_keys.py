from django.core.management.base import BaseCommand

from config.services import rotate_encrypted_fields


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field with the first key of FIELD_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        for field, count in rotate_encrypted_fields().items():
            self.stdout.write(f"{field}: {count} re-encrypted")
