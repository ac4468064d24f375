"""Field encryption at rest: MultiFernet with keys from the environment, so keys can rotate.

`FIELD_ENCRYPTION_KEYS` is a comma-separated list of Fernet keys, newest first: new values are encrypted with the
first, any listed key decrypts, and `manage.py rotate_field_keys` re-encrypts every value with the first.
`FIELD_HASH_KEY` keys the HMAC stored beside an encrypted value for lookups and uniqueness.
"""

import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("a stored value could not be decrypted with any FIELD_ENCRYPTION_KEYS key") from exc


def rotate(token: str) -> str:
    return fernet().rotate(token.encode()).decode()


def keyed_hash(value: str) -> str:
    """A stable keyed fingerprint for lookups ("is this account number already linked?") without the plaintext."""
    return hmac.new(settings.FIELD_HASH_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """Stored as a Fernet token; read back as the plaintext string. Not searchable: keep a keyed hash beside it."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
