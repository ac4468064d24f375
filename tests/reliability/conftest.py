"""The groups suite's people and groups (and its in-process sandboxes), for the fuzzer's world."""

from tests.groups.conftest import _sandbox_in_process, forming_group, member, started_group  # noqa: F401 (fixtures)
