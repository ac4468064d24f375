"""Fernet over a stream, for files too large to hold in memory (database backups).

Fernet encrypts one message at a time, so a file is cut into chunks of up to `CHUNK_SIZE` bytes, each its own Fernet
token. Each token's plaintext starts with the chunk's index and whether it is the last, so a reordered, dropped or
truncated chunk fails to decrypt instead of yielding a shorter file. Keys are a list, newest first (MultiFernet):
files are written with the first and read with any.

Layout: `MAGIC`, then per chunk a 4-byte big-endian token length and the token.
"""

import struct
from collections.abc import Sequence
from typing import BinaryIO

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

MAGIC = b"PAMOJA-FERNET-STREAM-1\n"
CHUNK_SIZE = 4 * 1024 * 1024
_HEADER = struct.Struct(">QB")  # chunk index, 1 on the last chunk
_LENGTH = struct.Struct(">I")


class StreamDecryptionError(Exception):
    """The stream is not ours, was altered or cut short, or no key given opens it."""


def _fernet(keys: Sequence[str]) -> MultiFernet:
    if not keys:
        raise ValueError("at least one Fernet key is needed")
    return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])


def encrypt_stream(source: BinaryIO, target: BinaryIO, *, keys: Sequence[str], chunk_size: int = CHUNK_SIZE) -> None:
    """Write `source` to `target` encrypted with the first key."""
    fernet = _fernet(keys)
    target.write(MAGIC)
    index = 0
    chunk = source.read(chunk_size)
    while True:
        following = source.read(chunk_size)
        last = not following
        token = fernet.encrypt(_HEADER.pack(index, int(last)) + chunk)
        target.write(_LENGTH.pack(len(token)) + token)
        if last:
            return
        chunk, index = following, index + 1


def _read_exactly(source: BinaryIO, size: int) -> bytes:
    data = source.read(size)
    if len(data) != size:
        raise StreamDecryptionError("the encrypted stream is cut short")
    return data


def decrypt_stream(source: BinaryIO, target: BinaryIO, *, keys: Sequence[str]) -> None:
    """Write the plaintext of an `encrypt_stream` output to `target`; raises before any chunk it cannot prove."""
    fernet = _fernet(keys)
    if source.read(len(MAGIC)) != MAGIC:
        raise StreamDecryptionError("not an encrypted Pamoja stream")
    index = 0
    while True:
        length_bytes = source.read(_LENGTH.size)
        if len(length_bytes) != _LENGTH.size:
            raise StreamDecryptionError("the encrypted stream is cut short (no last chunk)")
        (length,) = _LENGTH.unpack(length_bytes)
        try:
            plain = fernet.decrypt(_read_exactly(source, length))
        except InvalidToken as exc:
            raise StreamDecryptionError("a chunk does not decrypt with the given keys (wrong key or altered)") from exc
        chunk_index, last = _HEADER.unpack_from(plain)
        if chunk_index != index:
            raise StreamDecryptionError(f"chunk {chunk_index} found where chunk {index} belongs")
        target.write(plain[_HEADER.size :])
        if last:
            if source.read(1):
                raise StreamDecryptionError("data follows the last chunk")
            return
        index += 1
