"""Company sign-in in a real browser: the portal, a real OpenID Connect provider on loopback
(oidc-provider-mock), and back, on a desktop and on a phone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from oidc_provider_mock import User, run_server_in_thread
from playwright.sync_api import expect

from tests import live
from tests.e2e.conftest import SCREENS, _axe_findings

pytestmark = pytest.mark.e2e

CLAIMS = {
    "email": "ann.oak@corp.test",
    "name": "Ann Oak",
    "department": "Logistics",
    "team": "Night Dispatch",
    "groups": ["portal-leaders"],
}


@pytest.fixture(scope="module")
def company_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A portal in PORTAL_AUTH_MODE=oidc, signing people in with a provider on loopback."""
    workdir: Path = tmp_path_factory.mktemp("e2e-oidc")
    db_url = live.migrated_database("e2e_oidc", workdir)
    with run_server_in_thread(
        port=0, require_nonce=True, user_claims=[User(sub="ann", claims=CLAIMS)]
    ) as idp:
        port = live.free_port()
        env = {
            "PORTAL_AUTH_MODE": "oidc",
            "PORTAL_OIDC_ISSUER": f"http://localhost:{idp.server_port}",
            "PORTAL_OIDC_CLIENT_ID": "insight-loop",
            "PORTAL_OIDC_CLIENT_SECRET": "client-secret-for-tests",
            "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
        }
        portal = live.start(workdir, db_url, env=env, port=port)
        try:
            yield portal.url
        finally:
            portal.stop()


@pytest.mark.parametrize("screen", list(SCREENS))
def test_a_colleague_signs_in_with_the_company_account_and_lands_in_their_team(
    chromium: object, company_portal: str, screen: str
) -> None:
    width, height = SCREENS[screen]
    context = chromium.new_context(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(10_000)
    findings: list[str] = []
    # axe checks the portal's own pages; the provider's sign-in page is the provider's to fix.
    page.on(
        "load",
        lambda loaded: (
            findings.extend(_axe_findings(loaded)) if loaded.url.startswith(company_portal) else None
        ),
    )
    try:
        page.goto(f"{company_portal}/")
        expect(page).to_have_url(re.compile(r"/oauth2/authorize"))  # sent to the company's provider
        page.get_by_placeholder("sub").fill("ann")
        page.get_by_role("button", name="Authorize").click()
        expect(page).to_have_url(f"{company_portal}/")
        expect(page.get_by_text("You are in Night Dispatch, Logistics.")).to_be_visible()
        page.get_by_role("button", name="Sign out").click()
        page.get_by_role("button", name="End session").click()  # the provider's own sign-out
        expect(page.get_by_text("You are signed out of")).to_be_visible()
        expect(page.get_by_role("link", name="Sign in with your company account")).to_be_visible()
        findings.extend(_axe_findings(page))
    finally:
        context.close()
    assert findings == [], "axe-core found:\n" + "\n".join(findings)
