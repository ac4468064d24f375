"""The random payout order can be recomputed by anyone from the revealed seed."""

import hashlib
from collections import Counter

from groups.rotation import commitment, draw_order, new_seed

MEMBERS = [
    "0b1c6f0e-aaaa-4c5e-9a57-000000000003",
    "0b1c6f0e-aaaa-4c5e-9a57-000000000001",
    "0b1c6f0e-aaaa-4c5e-9a57-000000000002",
    "0b1c6f0e-aaaa-4c5e-9a57-000000000004",
]
SEED = "7f" * 32


def recompute(member_ids, seed_hex):
    """The documented shuffle, written again from the module docstring, independently of the code under test."""
    order = sorted(member_ids)
    seed, counter, pending = bytes.fromhex(seed_hex), 0, []

    def draw():
        nonlocal counter
        if not pending:
            digest = hashlib.sha256(seed + counter.to_bytes(8, "big")).digest()
            pending.extend(int.from_bytes(digest[k : k + 8], "big") for k in (0, 8, 16, 24))
            counter += 1
        return pending.pop(0)

    for i in range(len(order) - 1, 0, -1):
        x = draw()
        while x >= 2**64 - (2**64 % (i + 1)):
            x = draw()
        j = x % (i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def test_commitment_binds_the_seed():
    assert commitment(SEED) == hashlib.sha256(bytes.fromhex(SEED)).hexdigest()
    assert commitment(SEED) != commitment("7e" + "7f" * 31)


def test_anyone_can_recompute_the_order():
    assert draw_order(MEMBERS, SEED) == recompute(MEMBERS, SEED)
    assert sorted(draw_order(MEMBERS, SEED)) == sorted(MEMBERS)


def test_the_order_does_not_depend_on_how_members_were_listed():
    assert draw_order(MEMBERS, SEED) == draw_order(list(reversed(MEMBERS)), SEED)


def test_every_member_is_equally_likely_first():
    firsts = Counter(draw_order(MEMBERS, new_seed())[0] for _ in range(4000))
    assert set(firsts) == set(MEMBERS)
    assert all(800 < count < 1200 for count in firsts.values()), firsts
