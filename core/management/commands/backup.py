from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.backups import BackupError, create_backup, prune_backups


class Command(BaseCommand):
    help = (
        "Back up the PostgreSQL database (pg_dump, custom format, compressed; encrypted when BACKUP_ENCRYPTION_KEYS "
        "is set) with a manifest of its row counts to the `backups` storage. Refuses on SQLite."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--prune", action="store_true", help="then delete backups past BACKUP_RETENTION_DAYS")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            backup = create_backup()
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"backup: {backup.name}{' (encrypted)' if backup.encrypted else ''}"))
        if options["prune"]:
            for name in prune_backups():
                self.stdout.write(f"pruned: {name}")
