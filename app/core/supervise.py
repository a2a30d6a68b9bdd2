"""Keeps `portal worker` running beside `portal serve`: when it stops (a crash, a kill, a damaged
index file that took the process down), it is started again after a pause that doubles each time
it dies soon after starting (1 s up to a minute), and every death is logged with its exit status.
Before, a dead worker stayed dead: new insights were never indexed and nothing said so."""

from __future__ import annotations

import logging
import os
import subprocess
import threading
import time
from collections.abc import Callable

log = logging.getLogger("portal.worker")

PARENT_ENV = "PORTAL_WORKER_PARENT"
STEADY_AFTER = 60.0  # a worker that ran this long before dying starts over from the shortest pause
MAX_PAUSE = 60.0


class Supervisor(threading.Thread):
    def __init__(self, command: list[str]) -> None:
        super().__init__(name="worker-supervisor", daemon=True)
        self.command = command
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> None:
        pause = 1.0
        while not self._stopping.is_set():
            with self._lock:
                if self._stopping.is_set():
                    return
                # The worker stops by itself when this process is gone (PARENT_ENV): uvicorn ends
                # `portal serve` by raising SIGTERM again after its shutdown, so no `finally` here
                # gets to stop the worker (it was left running, orphaned, before).
                env = {**os.environ, PARENT_ENV: str(os.getpid())}
                self.process = subprocess.Popen(self.command, env=env)
            started = time.monotonic()
            code = self.process.wait()
            if self._stopping.is_set():
                return
            ran = time.monotonic() - started
            pause = next_pause(pause if self.restarts else None, ran)
            self.restarts += 1
            how = f"killed by signal {-code}" if code < 0 else f"exited with status {code}"
            log.error(
                f"portal worker {how} after {ran:.0f} s; starting it again in {pause:.0f} s",
                extra={"event": "worker.restarted", "exit_code": code, "restarts": self.restarts},
            )
            self._stopping.wait(pause)

    def stop(self, timeout: float = 15) -> None:
        """Stops the worker (when `portal serve` gets to run this: see PARENT_ENV for when not)."""
        with self._lock:
            self._stopping.set()
            process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        self.join(timeout=timeout)


def next_pause(previous: float | None, ran: float) -> float:
    """How long to wait before starting again a process that died after running `ran` seconds
    (`previous`: the pause before its last start, None when it never restarted): 1 s, doubled up
    to a minute while it keeps dying within a minute of its start. For `portal worker` here and for
    the web processes of `portal serve` (app/core/serving.py)."""
    if previous is not None and ran < STEADY_AFTER:
        return min(previous * 2, MAX_PAUSE)
    return 1.0


def watch_parent(parent: int, stop: Callable[[], None], *, every: float = 1.0) -> None:
    """Call `stop` (from a thread of its own) once the process `parent` is no longer this one's parent."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        stop()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def exit_with_parent(stop: Callable[[], None], *, every: float = 1.0) -> None:
    """In `portal worker` started by `portal serve`: call `stop` once that parent is gone."""
    parent = os.environ.get(PARENT_ENV, "")
    if not parent.isdigit():
        return

    def parent_gone() -> None:
        log.warning("portal serve stopped; the worker stops too", extra={"event": "worker.parent_gone"})
        stop()

    watch_parent(int(parent), parent_gone, every=every)
