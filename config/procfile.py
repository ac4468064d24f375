"""`make run`'s process runner: starts every `Procfile` process, writes their JSON log lines as one stream, and on
Ctrl-C stops them cleanly.

Each line a process writes is passed on with `"process": "<name>"` added (a line that is not a JSON object is
passed on as it is, prefixed with the name: then something in that process logs around settings.LOGGING). The
runner's own lines are JSON lines of the same shape (logger `pamoja.run`).

Stopping: each process runs in its own session, so the terminal's Ctrl-C (SIGINT to the foreground group) reaches
only this runner, which sends SIGTERM to each process's main process and nothing else: gunicorn's master stops its
workers, and Celery's worker does a warm shutdown of its prefork children itself. (A runner that signals whole
process groups, as honcho does, hits the pool's children directly, and the worker logs each as an ERROR.) Whatever
is still running after STOP_TIMEOUT seconds is killed with its whole group. One process ending on its own stops
the others, and the runner exits non-zero.

    python -m config.procfile [Procfile]
"""

import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

STOP_TIMEOUT = 20.0  # a running task gets this long to finish; Celery's warm shutdown waits for it
_write_lock = threading.Lock()


def say(level: str, message: str, **fields: object) -> None:
    line = {
        "process": "run",
        "level": level,
        "logger": "pamoja.run",
        "message": message,
        **fields,
        "request_id": None,
        "user_id": None,
        "time": datetime.now(UTC).isoformat(),
    }
    emit(json.dumps(line))


def emit(line: str) -> None:
    with _write_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def relay(name: str, stream: IO[bytes]) -> None:
    for raw in iter(stream.readline, b""):
        text = raw.decode(errors="replace").rstrip("\r\n")
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except ValueError:
            record = None
        if isinstance(record, dict):
            emit(json.dumps({"process": name, **record}))
        else:
            emit(f"{name} | {text}")


def read_procfile(path: Path) -> list[tuple[str, str]]:
    processes = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            processes.append((name.strip(), command.strip()))
    return processes


def main(argv: list[str]) -> int:
    procfile = Path(argv[1] if len(argv) > 1 else "Procfile")
    stopping = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    children: dict[str, subprocess.Popen[bytes]] = {}
    relays = []
    for name, command in read_procfile(procfile):
        # `exec`: the shell becomes the program, so the pid signalled below is the program's main process
        child = subprocess.Popen(  # noqa: S602 - the Procfile is ours; its ${VAR:-default}s need the shell
            f"exec {command}",
            shell=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        children[name] = child
        say("INFO", f"{name} started", pid=child.pid, command=shlex.split(command)[0])
        thread = threading.Thread(target=relay, args=(name, child.stdout), daemon=True)
        thread.start()
        relays.append(thread)

    failed = None
    while not stopping.is_set():
        for name, child in children.items():
            if child.poll() is not None:
                failed = name
                say("ERROR", f"{name} exited with {child.returncode}; stopping the others")
                stopping.set()
                break
        stopping.wait(0.2)

    say("INFO", "stopping", timeout_seconds=STOP_TIMEOUT)
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)  # the main process only: it stops its own children
    deadline = time.monotonic() + STOP_TIMEOUT
    running = {name for name, child in children.items() if child.poll() is None}
    while running and time.monotonic() < deadline:
        for name in sorted(running):
            if children[name].poll() is not None:
                say("INFO", f"{name} stopped", exit_code=children[name].returncode)
                running.discard(name)
        time.sleep(0.05)
    for name in sorted(running):
        say("WARNING", f"{name} still running after {STOP_TIMEOUT:g} s; killing it")
    for child in children.values():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGKILL)  # anything left behind in its session (it is gone, usually)
        child.wait()
    for thread in relays:
        thread.join(timeout=2)
    say("INFO", "stopped", exit_codes={name: child.returncode for name, child in children.items()})
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
