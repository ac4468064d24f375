"""Uploaded files and backups go through Django's storage API: local folders by default, an S3-compatible bucket
(django-storages) once S3_BUCKET is set, private and with signed links."""

from tests.platform.test_settings import manage

PROBE = (
    "from django.core.files.storage import storages as s;"
    "d, b = s['default'], s['backups'];"
    "print(type(d).__name__, type(b).__name__, getattr(d, 'bucket_name', '-'), getattr(b, 'bucket_name', '-'),"
    " getattr(b, 'location', '-'), getattr(d, 'querystring_auth', '-'), getattr(d, 'default_acl', '-'),"
    " getattr(d, 'file_overwrite', '-'), getattr(d, 'endpoint_url', '-'))"
)


def probe(**env: str) -> str:
    result = manage("shell", "-c", PROBE, DEBUG="true", **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_files_and_backups_are_local_folders_by_default(tmp_path):
    printed = probe(S3_BUCKET="", BACKUP_S3_BUCKET="", BACKUP_ROOT=str(tmp_path))
    assert printed.split()[:2] == ["FileSystemStorage", "FileSystemStorage"]
    assert str(tmp_path) in printed


def test_s3_bucket_switches_both_to_private_object_storage():
    printed = probe(S3_BUCKET="pamoja-files", BACKUP_S3_BUCKET="", S3_ENDPOINT_URL="https://r2.example.invalid")
    assert printed.split() == [
        "S3Storage",
        "S3Storage",
        "pamoja-files",
        "pamoja-files",
        "backups",
        "True",  # links are signed and expire
        "None",  # no public-read ACL
        "False",  # an upload never replaces another's file
        "https://r2.example.invalid",
    ]
    printed = probe(S3_BUCKET="pamoja-files", BACKUP_S3_BUCKET="pamoja-backups")
    assert printed.split()[2:5] == ["pamoja-files", "pamoja-backups", "backups"]
