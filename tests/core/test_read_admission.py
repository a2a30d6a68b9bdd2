"""Page reads are worked on a few at a time per web process (PORTAL_READ_CONCURRENCY); writes,
health checks and static files never wait for a turn, and a download streams outside it."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from app.core.admission import ReadAdmissionMiddleware
from app.core.config import get_settings


class SlowApp:
    """An ASGI app whose requests wait until the test lets them answer, counting those inside."""

    def __init__(self) -> None:
        self.inside = 0
        self.most_inside = 0
        self.answer = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.inside += 1
        self.most_inside = max(self.most_inside, self.inside)
        try:
            await self.answer.wait()
        finally:
            self.inside -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def two_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_READ_CONCURRENCY", "2")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def _send_together(
    app: SlowApp, requests: list[tuple[str, str]], middleware: ReadAdmissionMiddleware | None = None
) -> list[int]:
    transport = httpx.ASGITransport(app=middleware or ReadAdmissionMiddleware(app))
    client = httpx.AsyncClient(transport=transport, base_url="http://t")
    async with client:
        calls = [asyncio.create_task(client.request(method, path)) for method, path in requests]
        for _ in range(50):  # let every request get as far as it may
            await asyncio.sleep(0)
        seen_inside = app.inside
        app.answer.set()
        answers = await asyncio.gather(*calls)
    assert all(a.status_code == 200 for a in answers)
    return [seen_inside, app.most_inside]


@pytest.mark.usefixtures("two_at_once")
def test_no_more_page_reads_at_once_than_the_setting_and_the_others_are_answered_after() -> None:
    app = SlowApp()
    inside, most = asyncio.run(_send_together(app, [("GET", f"/insights/{n}") for n in range(6)]))
    assert inside == 2
    assert most == 2


@pytest.mark.usefixtures("two_at_once")
def test_writes_health_checks_and_static_files_never_wait_for_a_turn() -> None:
    app = SlowApp()
    requests = [("GET", "/insights"), ("GET", "/insights"), ("GET", "/insights")]
    requests += [
        ("POST", "/comments"),
        ("POST", "/comments"),
        ("GET", "/healthz"),
        ("GET", "/static/app.css"),
    ]
    inside, _ = asyncio.run(_send_together(app, requests))
    assert inside == 2 + 4  # two reads, and all the others


@pytest.mark.usefixtures("two_at_once")
def test_a_failed_read_gives_its_turn_back() -> None:
    app = SlowApp()

    async def fails_on_broken(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/broken":
            raise RuntimeError("boom")
        await app(scope, receive, send)

    async def run() -> list[int]:
        middleware = ReadAdmissionMiddleware(fails_on_broken)
        transport = httpx.ASGITransport(app=middleware, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for _ in range(5):
                assert (await client.get("/broken")).status_code == 500
        return await _send_together(app, [("GET", "/insights")] * 4, middleware=middleware)

    inside, _ = asyncio.run(run())
    assert inside == 2  # both turns are free again
