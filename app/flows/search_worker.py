"""The drainer: a small thread in each app process that applies the outbox to the index.

Whoever holds the indexer lock drains; the other processes skip their turn, so no web request and
no second worker ever waits for the index writer."""

from __future__ import annotations

import logging
import threading

from app.core.db import new_session
from app.flows import search as search_service

log = logging.getLogger("portal.search")


class Drainer(threading.Thread):
    def __init__(self, interval: float = 1.0) -> None:
        super().__init__(name="search-drainer", daemon=True)
        self.interval = interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        failures = 0
        while not self._stop_event.is_set():
            try:
                with new_session() as session:
                    search_service.drain(session)
                failures = 0
            except Exception as exc:  # noqa: BLE001  keep serving; say so once, then back off
                failures += 1
                if failures == 1:
                    log.error("search drainer failed", exc_info=exc, extra={"event": "search.drain_failed"})
            self._stop_event.wait(min(self.interval * (2 ** min(failures, 5)), 60))

    def stop(self) -> None:
        self._stop_event.set()
