"""A live portal on a free loopback port, and Debian's chromium driven by Playwright.

Never `playwright install`: it downloads a browser, which cannot work here. Without chromium the
browser tests are skipped locally with a message, and fail in CI (CI=true)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session

from app.people import service as people_service
from app.people.models import Role
from app.people.schemas import PersonCreate
from app.proposals import schemas as proposal_schemas
from app.proposals import service as proposal_service
from tests import factories, live

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PASSWORD = "e2e passphrase 2026"
# Every journey runs on a desktop and on a phone, each against a portal of its own.
SCREENS = {"desktop": (1280, 900), "phone": (390, 844)}
# What fails a journey: axe-core's serious and critical findings on any page it loads.
FAILING_IMPACTS = ("serious", "critical")


@dataclass
class LiveServer:
    url: str
    db_url: str
    screen: str = "desktop"

    def session(self) -> Session:
        return Session(create_engine(self.db_url), expire_on_commit=False)


@pytest.fixture(scope="session", params=list(SCREENS))
def live_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    screen = str(request.param)
    workdir = tmp_path_factory.mktemp(f"e2e-{screen}")
    db_url = live.migrated_database(f"e2e_{screen}", workdir)
    engine = create_engine(db_url)
    with Session(engine) as session:
        dept = people_service.get_or_create_department(session, name="Customer Experience")
        team = people_service.get_or_create_team(session, name="CX Research", department=dept)
        for name, email, role in [
            ("Ada Admin", "ada@e2e.test", Role.admin),
            ("Erin Employee", "erin@e2e.test", Role.employee),
            ("Cass Cx", "cass@e2e.test", Role.cx),
            ("Leo Leader", "leo@e2e.test", Role.leader),
        ]:
            people_service.create(
                session,
                actor=None,
                data=PersonCreate(email=email, name=name, role=role, team_id=team.id, password=PASSWORD),
            )
        logistics = people_service.get_or_create_department(session, name="Logistics & Delivery")
        last_mile = people_service.get_or_create_team(session, name="Last Mile", department=logistics)
        people_service.create(
            session,
            actor=None,
            data=PersonCreate(
                email="olle@e2e.test",
                name="Olle Other",
                role=Role.employee,
                team_id=last_mile.id,
                password=PASSWORD,
            ),
        )
        _publish_search_content(session, department_id=dept.id)
        _publish_participation_content(session)
    engine.dispose()
    # The integrations journey adds a channel on loopback, which the portal refuses by default.
    portal = live.start(workdir, db_url, env={"PORTAL_ALLOW_PRIVATE_WEBHOOKS": "true"})
    yield LiveServer(url=portal.url, db_url=db_url, screen=screen)
    portal.stop()


def _publish_search_content(session: Session, *, department_id: int | None) -> None:
    """A few insights for the search journeys; the server's drainer indexes them on start."""
    cx_person = people_service.get_by_email(session, email="cass@e2e.test")
    assert cx_person is not None
    logistics = people_service.get_or_create_department(session, name="Logistics & Delivery")
    for fields in [
        {
            "title": "Refund took five weeks",
            "quote": "Money back after five weeks, and I had to chase it",
            "tags": ["refunds"],
            "department_id": department_id,
            "sentiment": "negative",
        },
        {
            "title": "Refund on the spot in the store",
            "quote": "The store refunded my lamp at once",
            "tags": ["refunds", "stores"],
            "department_id": logistics.id,
            "sentiment": "positive",
        },
        {
            "title": "Delivery window too wide",
            "quote": "Between 8 and 12 is not a time slot",
            "tags": ["delivery-window"],
            "department_id": logistics.id,
            "sentiment": "negative",
        },
    ]:
        factories.published(session, by=cx_person, channel="survey", **fields)


def _publish_participation_content(session: Session) -> None:
    cx_person = people_service.get_by_email(session, email="cass@e2e.test")
    admin = people_service.get_by_email(session, email="ada@e2e.test")
    assert cx_person is not None and admin is not None
    factories.published(
        session,
        by=cx_person,
        kind="pain_point",
        title="Parcels arrive days late",
        severity=4,
        body="Customers wait at home for deliveries that do not come.",
    )
    proposal_service.create(
        session,
        actor=admin,
        data=proposal_schemas.ProposalCreate(
            title="Evening delivery slots for working families",
            problem="Customers cannot be home in the morning",
            change="Offer evening slots",
        ),
    )


def _chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    path = _chromium_path()
    if path is None:
        message = "Debian's chromium is not installed (apt-get install -y chromium); browser tests need it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def _axe_findings(page: Any) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now (none if the page is
    already navigating away: its next load is checked instead)."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import Error

    try:
        results = Axe().run(page)
    except Error:
        return []
    return [
        f"{page.url} [{page.viewport_size['width']}px] {v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in results.response["violations"]
        if v["impact"] in FAILING_IMPACTS
    ]


@pytest.fixture
def page(chromium: object, live_server: LiveServer) -> Iterator[object]:
    width, height = SCREENS[live_server.screen]
    context = chromium.new_context(  # type: ignore[attr-defined]
        base_url=live_server.url, viewport={"width": width, "height": height}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    findings: list[str] = []
    page.on("load", lambda loaded: findings.extend(_axe_findings(loaded)))
    csp_errors: list[str] = []
    page.on(
        "console", lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None
    )
    dialogs: list[str] = []

    def on_dialog(dialog: object) -> None:
        dialogs.append(dialog.message)  # type: ignore[attr-defined]
        dialog.dismiss()  # type: ignore[attr-defined]

    page.on("dialog", on_dialog)
    yield page
    findings.extend(_axe_findings(page))  # the last page, after what the journey did on it
    context.close()
    assert findings == [], "axe-core found:\n" + "\n".join(findings)
    assert csp_errors == [], csp_errors
    assert dialogs == [], f"a dialog opened: {dialogs}"


def sign_in(page: object, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")  # type: ignore[attr-defined]
    page.get_by_label("Work e-mail").fill(email)  # type: ignore[attr-defined]
    page.get_by_label("Password").fill(password)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]


def fill_in(page: Any, fields: dict[str, str]) -> None:
    """Type each value into the field with that label; a list box gets that option chosen."""
    for label, value in fields.items():
        field = page.get_by_label(label)
        if field.evaluate("element => element.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
