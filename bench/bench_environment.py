"""What every bench script runs under: production settings on a database of its own.

`production_environment` sets DEBUG off as in production (the keys it then requires are made up, once per process,
so the servers and clients a script starts inherit the same ones), the providers as sandboxes and plain HTTP on
127.0.0.1; a script adds its own settings (throttles lifted, log level, broker folder) as `overrides`.
`recreate_database` gives it an empty database, dropped first even while an earlier run's server still holds it."""

import base64
import hashlib
import os
import secrets
from urllib.parse import urlsplit, urlunsplit


def production_environment(*, database_url: str, run_dir: str | None = None, **overrides: str) -> None:
    key = os.environ.setdefault("SECRET_KEY", secrets.token_hex(32))
    os.environ.setdefault(
        "FIELD_ENCRYPTION_KEYS", base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()).decode()
    )
    os.environ.setdefault("FIELD_HASH_KEY", hashlib.sha256(f"hash:{key}".encode()).hexdigest())
    settings = {
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on 127.0.0.1; production sits behind TLS
        "PROVIDERS_SANDBOX": "true",  # with DEBUG off, else startup insists on real provider secrets
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    }
    if run_dir is not None:
        settings["RUN_DIR"] = run_dir  # the filesystem broker's folders, not the repository's .run
    os.environ.update(settings | overrides)


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
