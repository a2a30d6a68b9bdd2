"""`portal worker`'s thread that mails notifications to the people who want them at once, every
20 seconds (so within a minute), when PORTAL_SMTP_HOST is set."""

from __future__ import annotations

import logging

from app.core.db import new_session
from app.core.worker import RepeatingWorker
from app.notifications import digest

log = logging.getLogger("portal.digest")


class Mailer(RepeatingWorker):
    def __init__(self, interval: float = 20.0) -> None:
        super().__init__(
            name="instant-mailer", interval=interval, log=log, failure_event="digest.instant_failed"
        )

    def step(self) -> bool:
        with new_session() as session:
            digest.send_instant(session)
        return False
