from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.backups import BackupError, run_restore_drill


class Command(BaseCommand):
    help = (
        "Restore the newest backup into a new database, check every table's row count against the backup's manifest "
        "and run ledger_check on it, then drop it. Exits non-zero unless all of that holds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--backup", metavar="NAME", help="restore this backup instead of the newest")
        parser.add_argument(
            "--keep", action="store_true", help="keep the restored database (its name is printed): a real restore"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = run_restore_drill(backup_name=options["backup"], keep=options["keep"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"restored {report.backup} into {report.database}: {report.tables} tables, {report.rows} rows"
        )
        for mismatch in report.mismatches:
            self.stderr.write(f"row count: {mismatch}")
        self.stdout.write(report.ledger_output)
        if report.kept:
            self.stdout.write(f"kept database {report.database}")
        if not report.ok:
            raise CommandError(f"restore drill failed for {report.backup}")
        self.stdout.write(self.style.SUCCESS(f"restore drill: {report.backup} restores, counts match, books balance"))
