"""How many page reads one web process works on at once (PORTAL_READ_CONCURRENCY, 4).

A page is CPU work under the interpreter's one lock, cut into pieces by its SQL statements: each
statement lets go of the lock and must then wait for it again, behind every other thread that is
rendering. With as many threads as requests in flight (up to 40, anyio's default), a page of 16
statements waited that many times. The home page at 100,000 insights, 2 web processes, 32
connections, measured with `make bench`'s page benchmark: 285 req/s with no limit, 385 with 2 or 4
reads at once, 120 with 8 (the same 32 requests, each waiting longer). Requests over the limit wait
in the event loop, which costs nothing.

Only reads are limited: a write may wait for SQLite's write lock (an import holds it for seconds)
and must not hold a read's turn meanwhile. A read never waits for a lock on SQLite: a read
transaction that tries to write (a session's last-seen time) fails at once when another writer
holds the lock instead of waiting, and that bookkeeping is then skipped. The turn ends when the
response starts, so a long download (a CSV export) streams outside it. /healthz is never held
back, so a busy process still answers its health check."""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import get_settings

READ_METHODS = frozenset({"GET", "HEAD"})
NEVER_WAITS = ("/static/", "/healthz")


class ReadAdmissionMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._turns: asyncio.Semaphore | None = None  # made on the first request, in the server's loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in READ_METHODS
            or scope["path"].startswith(NEVER_WAITS)
        ):
            await self.app(scope, receive, send)
            return
        if self._turns is None:
            self._turns = asyncio.Semaphore(get_settings().read_concurrency)
        turns = self._turns
        await turns.acquire()
        holding = True

        async def send_and_end_turn(message: Message) -> None:
            nonlocal holding
            if message["type"] == "http.response.start" and holding:
                holding = False
                turns.release()
            await send(message)

        try:
            await self.app(scope, receive, send_and_end_turn)
        finally:
            if holding:
                turns.release()
