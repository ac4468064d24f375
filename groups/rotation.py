"""The verifiable random payout order: commit to a seed when the group opens, reveal it at start, and order the
members by a shuffle anyone can recompute from the seed and the member ids.

The shuffle, written so another language can redo it exactly:
1. Sort the member ids as strings (the canonical starting list).
2. For i from n-1 down to 1 (Fisher-Yates), draw j in [0, i]: take the next 8 bytes of the stream
   SHA-256(seed || counter) for counter = 0, 1, 2, … (counter as 8-byte big-endian; each digest gives 4 draws),
   read them as a big-endian unsigned integer x, and reject x when x >= 2**64 - (2**64 % (i + 1)) (so every j is
   equally likely); otherwise j = x % (i + 1). Swap positions i and j.
The seed is 32 random bytes, published as hex; the commitment is SHA-256 of those bytes, also hex.
"""

import hashlib
import secrets
from collections.abc import Iterator, Sequence


def new_seed() -> str:
    return secrets.token_hex(32)


def commitment(seed_hex: str) -> str:
    """What the group publishes when it opens: SHA-256 of the seed's bytes."""
    return hashlib.sha256(bytes.fromhex(seed_hex)).hexdigest()


def _stream(seed: bytes) -> Iterator[int]:
    counter = 0
    while True:
        block = hashlib.sha256(seed + counter.to_bytes(8, "big")).digest()
        for offset in range(0, 32, 8):
            yield int.from_bytes(block[offset : offset + 8], "big")
        counter += 1


def draw_order(member_ids: Sequence[object], seed_hex: str) -> list[str]:
    """The payout order for `member_ids` under `seed_hex`; the same inputs give the same order anywhere."""
    order = sorted(str(member_id) for member_id in member_ids)
    numbers = _stream(bytes.fromhex(seed_hex))
    for i in range(len(order) - 1, 0, -1):
        bound = i + 1
        limit = 2**64 - (2**64 % bound)
        x = next(numbers)
        while x >= limit:
            x = next(numbers)
        j = x % bound
        order[i], order[j] = order[j], order[i]
    return order
