"""The `demo` app's part of `seed_demo` (found by name, as every app's `demo.seed` is): the demo world."""

from typing import TextIO

from demo.world import build_world


def seed(*, stdout: TextIO) -> None:
    build_world(stdout=stdout)
