"""A background thread that repeats one step until stopped (the search drainer, the import runner).

A failing step does not end the thread: the first failure in a row is logged, then the thread waits
longer each time (up to a minute), so a database outage neither floods the log nor spins a core."""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod


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
        while not self._stop_event.is_set():
            busy = False
            try:
                busy = self.step()
                failures = 0
            except Exception as exc:  # noqa: BLE001  keep serving; say so once, then back off
                failures += 1
                if failures == 1:
                    self._log.error(f"{self.name} failed", exc_info=exc, extra={"event": self._failure_event})
            if not busy:
                self._stop_event.wait(min(self.interval * (2 ** min(failures, 5)), 60))

    def stop(self) -> None:
        self._stop_event.set()
