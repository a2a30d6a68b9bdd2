"""The drainer: a small thread in each app process that applies the outbox to the index.

Whoever holds the indexer lock drains; the other processes skip their turn, so no web request and
no second worker ever waits for the index writer."""

from __future__ import annotations

import logging

from app.core.db import new_read_session, new_session
from app.core.worker import RepeatingWorker
from app.search import service as search_service

log = logging.getLogger("portal.search")


class Drainer(RepeatingWorker):
    def __init__(self, interval: float = 1.0) -> None:
        super().__init__(
            name="search-drainer", interval=interval, log=log, failure_event="search.drain_failed"
        )

    def step(self) -> bool:
        with new_session() as session, new_read_session() as reading:
            search_service.drain(session, reading=reading)
        return False  # look again after the interval
