"""The drainer: a small thread in each app process (and `portal worker`'s main loop) that applies the
search outbox to the index, then handles the due events of the event outbox (app/core/outbox.py).

Whoever holds the indexer lock drains the search outbox; the other processes skip their turn, so no
web request and no second worker ever waits for the index writer. Events are leased one batch at a
time, so any number of drainers share them."""

from __future__ import annotations

import logging

from app.core import outbox as events
from app.core.db import new_read_session, new_session
from app.core.worker import RepeatingWorker
from app.search import service as search_service

log = logging.getLogger("portal.search")
EVENT_BATCH = 100


class Drainer(RepeatingWorker):
    def __init__(self, interval: float = 1.0) -> None:
        super().__init__(
            name="search-drainer", interval=interval, log=log, failure_event="search.drain_failed"
        )

    def step(self) -> bool:
        with new_session() as session, new_read_session() as reading:
            try:
                search_service.drain(session, reading=reading)
            finally:  # a failing index does not hold up the events (the failure is still raised)
                session.rollback()
                handled = events.drain(session, limit=EVENT_BATCH)
        return handled == EVENT_BATCH  # a full batch: there may be more, look again at once
