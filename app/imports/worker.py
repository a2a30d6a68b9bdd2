"""The import runner: a thread in `portal worker` and in each app process that takes queued import
jobs one at a time. Several runners may share a database: a job is claimed by one of them only."""

from __future__ import annotations

import logging
import time

from app.core.db import new_read_session, new_session
from app.core.worker import RepeatingWorker
from app.imports import jobs

log = logging.getLogger("portal.imports")
TIDY_EVERY = 60.0  # seconds


def run_once() -> bool:
    """Runs the next queued job, if any; True when it ran one."""
    with new_session() as session:
        job_id = jobs.claim_next(session)
    if job_id is None:
        return False
    with new_session() as writer, new_read_session() as reader_session:
        jobs.process(job_id, reader_session=reader_session, writer=writer)
    return True


class ImportRunner(RepeatingWorker):
    def __init__(self, interval: float = 1.0) -> None:
        super().__init__(
            name="import-runner", interval=interval, log=log, failure_event="import.runner_failed"
        )
        self._tidied = 0.0

    def step(self) -> bool:
        if time.monotonic() - self._tidied > TIDY_EVERY:
            with new_session() as session:
                jobs.tidy(session)
            self._tidied = time.monotonic()
        return run_once()  # one job ran: there may be another queued
