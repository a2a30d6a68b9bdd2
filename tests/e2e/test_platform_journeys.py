"""User journeys in a real browser: sign in and out, an admin adds a person, cross-site posts fail."""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from app.people import service as people_service
from tests.e2e.conftest import PASSWORD, LiveServer, sign_in
from tests.live import free_port

pytestmark = pytest.mark.e2e


def test_sign_in_see_home_and_sign_out(page: Page) -> None:
    sign_in(page, "erin@e2e.test")
    expect(page.get_by_role("heading", name="Good to see you, Erin")).to_be_visible()
    expect(page.get_by_text("You are in CX Research")).to_be_visible()
    expect(page.get_by_role("link", name="Admin", exact=True)).to_have_count(0)  # not for employees
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.goto("/me")
    expect(page).to_have_url(re.compile(r"/login\?next=/me$"))


def test_wrong_password_shows_a_clear_message(page: Page) -> None:
    sign_in(page, "erin@e2e.test", "not the password")
    expect(page.get_by_role("alert")).to_contain_text("do not match an active account")


def test_admin_adds_a_person_who_can_then_sign_in(page: Page, live_server: LiveServer) -> None:
    sign_in(page, "ada@e2e.test")
    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("link", name="Add a person").click()
    page.get_by_label("Work e-mail").fill("nina.new@e2e.test")
    page.get_by_label("Name").fill("Nina New")
    page.get_by_label("Role").select_option("cx")
    page.get_by_label("Team").select_option(label="CX Research (Customer Experience)")
    page.get_by_label("First password").fill("nina's first passphrase")
    page.get_by_role("button", name="Add person").click()
    expect(page.get_by_text("Nina New was added and can now sign in.")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "nina.new@e2e.test", "nina's first passphrase")
    expect(page.get_by_role("heading", name="Good to see you, Nina")).to_be_visible()


def test_admin_imports_the_org_chart_from_a_file(page: Page, live_server: LiveServer, tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    suffix = live_server.screen  # each screen's portal is its own; the names only need to be new there
    people.write_text(
        "email,name,department,team,role,manager_email\n"
        f"rita.{suffix}@e2e.test,Rita Rowe,Operations,Depot North,leader,\n"
        f"sam.{suffix}@e2e.test,Sam Stone,Operations,Depot North,,rita.{suffix}@e2e.test\n"
        f"tom.{suffix}@e2e.test,Tom Trent,Operations,Depot South,,rita.{suffix}@e2e.test\n"
    )
    sign_in(page, "ada@e2e.test")
    page.goto("/admin/people")
    page.get_by_role("link", name="Import people").click()
    page.get_by_label("The file (CSV or XLSX)").set_input_files(str(people))
    page.get_by_label("Dry run: check and count, change nothing").check()
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Dry run: every row is fine.")).to_contain_text("The import would create 3")
    page.get_by_label("The file (CSV or XLSX)").set_input_files(str(people))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Imported: 3 created")).to_be_visible()
    page.goto("/admin/teams")
    expect(page.get_by_role("cell", name="Depot North", exact=True)).to_be_visible()

    # Sam belongs in Depot South after all: the admin finds him and moves him there.
    page.goto("/admin/people")
    page.get_by_label("Find by name or e-mail").fill("Sam Stone")
    expect(page.locator("#people-results").get_by_role("link", name="Ada Admin")).to_have_count(0)
    page.get_by_label("Move Sam Stone").check()
    depot_south = "Depot South · Operations"
    page.get_by_label("Move the people ticked below to").select_option(label=depot_south)
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.get_by_text("Moved 1 person to Depot South.")).to_be_visible()
    page.get_by_label("Team", exact=True).select_option(label=depot_south)
    expect(page.get_by_role("link", name="Sam Stone")).to_be_visible()


def test_admin_adds_a_webhook_channel_and_sees_its_secret_once(page: Page, live_server: LiveServer) -> None:
    sign_in(page, "ada@e2e.test")
    page.goto("/admin/people")
    page.get_by_role("link", name="Integrations").click()
    expect(page.get_by_text("No channels yet")).to_be_visible()
    page.get_by_label("Receiver address").fill(f"http://127.0.0.1:9/{live_server.screen}-hook")
    page.get_by_label("Kind").select_option("webhook")
    page.get_by_label("A proposal is posted").check()
    page.get_by_role("button", name="Add channel").click()
    expect(page.get_by_text("It is shown only this once")).to_be_visible()
    expect(page.locator("#new-secret-value")).to_contain_text("whsec_")
    page.get_by_role("link", name=f"http://127.0.0.1:9/{live_server.screen}-hook").click()
    expect(page.get_by_text("Nothing sent yet")).to_be_visible()


def test_api_token_is_created_in_place_and_shown_once(page: Page) -> None:
    sign_in(page, "erin@e2e.test", PASSWORD)
    page.goto("/me")
    page.get_by_label("Token name").fill("browser test")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token-value")
    expect(token).to_be_visible()
    assert len(token.inner_text()) >= 43
    page.reload()
    expect(page.locator("#new-token-value")).to_have_count(0)
    expect(page.get_by_role("cell", name="browser test", exact=True)).to_be_visible()


@pytest.fixture
def attacker_site() -> Iterator[tuple[str, dict[str, bytes]]]:
    """A second loopback origin (127.0.0.2) serving pages that the test puts into `pages`."""
    pages: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = pages.get(self.path, b"")
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    port = free_port("127.0.0.2")
    server = http.server.HTTPServer(("127.0.0.2", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.2:{port}", pages
    server.shutdown()


def test_cross_origin_form_post_is_refused(
    page: Page, live_server: LiveServer, attacker_site: tuple[str, dict[str, bytes]]
) -> None:
    origin, pages = attacker_site
    sign_in(page, "ada@e2e.test")
    expect(page.get_by_role("heading", name="Good to see you, Ada")).to_be_visible()
    pages["/attack"] = (
        f'<form id="f" method="post" action="{live_server.url}/admin/departments">'
        '<input name="name" value="Planted By Another Site"></form>'
        '<script>document.getElementById("f").submit()</script>'
    ).encode()
    with page.expect_navigation(url=f"{live_server.url}/admin/departments"):
        page.goto(f"{origin}/attack")
    expect(page.get_by_text("came from another site")).to_be_visible()
    with live_server.session() as session:
        names = [d.name for d in people_service.list_departments(session)]
    assert "Planted By Another Site" not in names
    page.goto(f"{live_server.url}/admin/teams")
    expect(page.get_by_role("heading", name="Departments & teams")).to_be_visible()
    expect(page.get_by_text("Planted By Another Site")).to_have_count(0)


def test_the_axe_check_of_every_journey_finds_a_serious_violation(chromium: Any) -> None:
    """The gate every journey passes through: it does fail on what axe-core calls serious."""
    from tests.e2e.conftest import _axe_findings

    context = chromium.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.set_content('<html lang="en"><title>t</title><main><button></button></main></html>')
        assert [f for f in _axe_findings(page) if "button-name (critical)" in f]
        page.set_content('<html lang="en"><title>t</title><main><button>Save</button></main></html>')
        assert _axe_findings(page) == []
    finally:
        context.close()
