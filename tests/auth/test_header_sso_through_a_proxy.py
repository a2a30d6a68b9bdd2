"""Header SSO through a real reverse proxy process on loopback (issue 21). The proxy adds
X-Forwarded-For, as every proxy does; before, that alone made the portal distrust it, so the
README's own set-up signed nobody in. The portal runs as the README deploys it: `portal serve`."""

from __future__ import annotations

import hmac
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from hashlib import sha256
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from app.people.models import Role
from tests import live


def _browser(base_url: str, **headers: str) -> httpx.Client:
    """A browser on another machine: it connects from 127.0.0.2, not from the proxy's 127.0.0.1."""
    return httpx.Client(
        base_url=base_url,
        headers=headers,
        transport=httpx.HTTPTransport(local_address="127.0.0.2"),
        timeout=30,
    )


def _csrf(seed: str) -> str:
    """The CSRF token a page would carry for this browser seed (computed as the portal does)."""
    return hmac.new(live.SECRET.encode(), b"csrf|" + seed.encode(), sha256).hexdigest()


@pytest.fixture
def portal_behind_proxy(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """(proxy url, portal url, database url): `portal serve` in header mode, trusting loopback only."""
    db_url = live.migrated_database("sso", tmp_path)
    live.person_with_password(db_url, role=Role.leader, email="known@corp.test")
    env = {"PORTAL_AUTH_MODE": "header", "PORTAL_TRUSTED_PROXIES": "127.0.0.1"}
    portal = live.start(tmp_path, db_url, env=env, serve=True, serve_options=("--no-index-worker",))
    proxy_port = live.free_port()
    proxy = subprocess.Popen([sys.executable, "-m", "tests.proxy", str(proxy_port), portal.url])
    proxy_url = f"http://127.0.0.1:{proxy_port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{proxy_url}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield proxy_url, portal.url, db_url
    finally:
        proxy.terminate()
        proxy.wait(timeout=15)
        portal.stop()


def test_people_are_signed_in_by_the_proxy_and_never_by_a_password(
    portal_behind_proxy: tuple[str, str, str],
) -> None:
    proxy_url, portal_url, db_url = portal_behind_proxy
    with _browser(proxy_url, **{"X-Test-Sso-User": "new.hire@corp.test"}) as browser:
        me = browser.get("/me")
        assert me.status_code == 200, me.text[:300]
        assert "new.hire" in me.text
        # A form posted through the proxy works as from any page (CSRF token and origin hold).
        page = browser.get("/proposals/new")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        posted = browser.post(
            "/proposals/new",
            data={
                "csrf_token": token.group(1),
                "title": "Signed in by the proxy",
                "problem": "p",
                "change": "c",
            },
            headers={"Origin": proxy_url},
        )
        assert posted.status_code in (200, 303), posted.text[:300]
    # A client cannot name someone else: the proxy replaces whatever identity header it sent.
    with _browser(proxy_url, **{"X-Forwarded-Email": "known@corp.test"}) as spoofer:
        assert spoofer.get("/me").status_code == 303
    # ... nor by going round the proxy to the portal itself.
    with _browser(
        portal_url, **{"X-Forwarded-Email": "known@corp.test", "X-Forwarded-For": "127.0.0.1"}
    ) as direct:
        assert direct.get("/me").status_code == 303
    # The password form is not offered, and a password posted anyway signs nobody in.
    with _browser(proxy_url) as anonymous:
        login = anonymous.get("/login")
        assert "single sign-on" in login.text and 'name="password"' not in login.text
        anonymous.cookies.set("il_csrf", "seed-of-a-browser")
        form = {
            "email": "known@corp.test",
            "password": live.PASSWORD,
            "csrf_token": _csrf("seed-of-a-browser"),
        }
        refused = anonymous.post("/login", data=form)
        assert refused.status_code == 403 and "single sign-on" in refused.text
        assert "il_session" not in refused.headers.get("set-cookie", "")
    engine = create_engine(db_url)
    with engine.connect() as conn:
        hire = conn.execute(text("SELECT role FROM person WHERE email = 'new.hire@corp.test'")).scalar_one()
        titles = conn.execute(text("SELECT title FROM proposal")).scalars().all()
    engine.dispose()
    assert hire == "employee" and titles == ["Signed in by the proxy"]
