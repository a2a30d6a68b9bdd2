"""The import runner: a thread in `portal worker` and in each app process that takes queued import
jobs one at a time. Several runners may share a database: a job is claimed by one of them only."""

from __future__ import annotations

import logging
import threading
import time

from sqlmodel import Session

from app.core.db import get_read_engine, new_session
from app.imports import jobs

log = logging.getLogger("portal.imports")
TIDY_EVERY = 60.0  # seconds


def run_once() -> bool:
    """Runs the next queued job, if any; True when it ran one."""
    with new_session() as session:
        job_id = jobs.claim_next(session)
    if job_id is None:
        return False
    with new_session() as writer, Session(get_read_engine(), expire_on_commit=False) as reader_session:
        jobs.process(job_id, reader_session=reader_session, writer=writer)
    return True


class ImportRunner(threading.Thread):
    def __init__(self, interval: float = 1.0) -> None:
        super().__init__(name="import-runner", daemon=True)
        self.interval = interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        tidied = 0.0
        failures = 0
        while not self._stop_event.is_set():
            ran = False
            try:
                if time.monotonic() - tidied > TIDY_EVERY:
                    with new_session() as session:
                        jobs.tidy(session)
                    tidied = time.monotonic()
                ran = run_once()
                failures = 0
            except Exception as exc:  # noqa: BLE001  keep serving; say so once, then back off
                failures += 1
                if failures == 1:
                    log.error("import runner failed", exc_info=exc, extra={"event": "import.runner_failed"})
            if not ran:
                self._stop_event.wait(min(self.interval * (2 ** min(failures, 5)), 60))

    def stop(self) -> None:
        self._stop_event.set()
