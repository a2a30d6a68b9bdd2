"""A background thread that repeats one step until stopped (the search drainer, the import runner).

A failing step does not end the thread: the first failure in a row is logged, then the thread waits
longer each time (up to a minute), so a database outage neither floods the log nor spins a core.
A thread whose steps succeed beats its heartbeat (app/core/heartbeat.py) every ten seconds or so;
one that keeps failing falls silent, and /healthz says so."""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod

from app.core import heartbeat


class RepeatingWorker(threading.Thread, ABC):
    def __init__(self, *, name: str, interval: float, log: logging.Logger, failure_event: str) -> None:
        super().__init__(name=name, daemon=True)
        self.interval = interval
        self._log = log
        self._failure_event = failure_event
        self._stop_event = threading.Event()

    @abstractmethod
    def step(self) -> bool:
        """One round of work; True when there may be more right away (no wait before the next)."""

    def run(self) -> None:
        failures = 0
        beaten = 0.0
        name = heartbeat.name_for(self.name)
        while not self._stop_event.is_set():
            busy = False
            try:
                busy = self.step()
                failures = 0
                if time.monotonic() - beaten >= heartbeat.EVERY.total_seconds():
                    self._beat(name)
                    beaten = time.monotonic()
            except Exception as exc:  # noqa: BLE001  keep serving; say so once, then back off
                failures += 1
                if failures == 1:
                    self._log.error(f"{self.name} failed", exc_info=exc, extra={"event": self._failure_event})
            if not busy:
                self._stop_event.wait(min(self.interval * (2 ** min(failures, 5)), 60))

    def _beat(self, name: str) -> None:
        from app.core.db import new_session

        with new_session() as session:
            heartbeat.beat(session, name)

    def stop(self) -> None:
        self._stop_event.set()
