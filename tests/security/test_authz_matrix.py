"""Every route, for anonymous and every role, against the access table (security.md B1)."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi.routing import APIRoute
from sqlmodel import Session

from app.auth import service as auth_service
from app.core import access
from app.core.config import get_settings
from app.insights.models import Kind
from app.main import app
from app.notifications.digest import unsubscribe_token
from app.people.models import Person, Role
from tests import factories
from tests.browser import Browser, bearer

ROUTES: list[APIRoute] = app.state.route_list


def test_every_route_has_an_access_rule() -> None:
    missing = [route.name for route in ROUTES if access.rule_for(route.name) is None]
    assert missing == []


def test_access_table_has_no_rule_for_a_route_that_does_not_exist() -> None:
    names = {route.name for route in ROUTES}
    assert sorted(set(access.ROUTE_ACCESS) - names) == []


def _fill(path: str, ids: dict[str, int]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)


def _refused(status: int, location: str) -> bool:
    # The gate sends anonymous people to /login?next=…; a plain /login after sign-out is not a refusal.
    return status in (401, 403) or (status == 303 and location.startswith("/login?next="))


@pytest.mark.parametrize("role", [None, *Role])
def test_route_matrix_matches_the_access_table(
    browser: Browser,
    db: Session,
    role: Role | None,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A fresh token per route (some routes revoke tokens): more than one person may hold at once.
    monkeypatch.setenv("PORTAL_API_TOKENS_PER_PERSON", "1000")
    get_settings.cache_clear()
    team = factories.team(db)
    # The actor is in the team and leads it: a team's pulse page and actions are route rules only.
    actor = factories.person(db, role=role, in_team=team) if role else None
    if actor is not None:
        team.lead_id = actor.id
        db.add(team)
        db.commit()
    target = factories.person(db, name="Matrix Target")
    token_owner = actor or target
    token = auth_service.create_token(db, actor=token_owner, owner=token_owner).record
    journey = factories.insight(db, kind=Kind.journey_map, title="Matrix journey")
    stage = factories.stage(db, journey=journey)
    attachment = factories.attachment(db, insight=journey)
    proposal = factories.proposal(db)
    comment = factories.comment(db, on=proposal, author=actor or target)  # own comment: route rules only
    notification = factories.notification(db, person=actor or target)
    pulse_round = factories.pulse_round(db, invite=[actor] if actor else [])
    import_job = factories.import_job(db, by=actor or target)  # own upload: route rules only
    channel = factories.channel(db)
    schedule = factories.pulse_schedule(db)
    action = factories.pulse_action(db, round_=pulse_round, team=team)
    theme = factories.theme(db, members=[factories.insight(db, title="Late again")])
    delivery = factories.delivery(db, channel=channel)
    ids = {
        "channel_id": channel.id or 0,
        "delivery_id": delivery.id or 0,
        "token": unsubscribe_token(target.id or 0),
        "job_id": import_job.id or 0,
        "file_format": "csv",
        "person_id": target.id or 0,
        "team_id": team.id or 0,
        "token_id": token.id or 0,
        "insight_id": journey.id or 0,
        "stage_id": stage.id or 0,
        "attachment_id": attachment.id or 0,
        "proposal_id": proposal.id or 0,
        "comment_id": comment.id or 0,
        "notification_id": notification.id or 0,
        "round_id": pulse_round.id or 0,
        "schedule_id": schedule.id or 0,
        "action_id": action.id or 0,
        "theme_id": theme.id or 0,
    }
    mismatches = []
    for route in ROUTES:
        for method in sorted(route.methods - {"HEAD"}):
            url = _fill(route.path, ids)
            api_token = None
            if actor is not None:
                browser.sign_in_as(actor)  # a fresh session each time: some routes end sessions
                if url.startswith("/api/") or url == "/openapi.json":
                    api_token = auth_service.create_token(db, actor=actor, owner=actor).token
            else:
                browser.anonymous()
            headers = bearer(api_token) if api_token else {}
            if method == "GET":
                response = browser.get(url, headers=headers)
            elif method == "POST" and not api_token:
                response = browser.post(url, {}, headers=headers)
            else:
                headers["X-CSRF-Token"] = browser.csrf()
                response = browser.client.request(method, url, headers=headers)
            refused = _refused(response.status_code, response.headers.get("location", ""))
            allowed = access.allows(access.rule_for(route.name), role)
            if allowed == refused:
                mismatches.append((method, url, role, response.status_code))
            assert response.status_code != 500, (method, url)
    assert mismatches == []
    if role is not None and role != Role.admin:
        denied = [r for r in caplog.records if getattr(r, "event", None) == "authz.denied"]
        assert denied, "denied requests are logged"


def test_denied_request_is_logged_once_with_actor(
    browser: Browser, employee: Person, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="portal.access")
    browser.sign_in_as(employee)
    assert browser.get("/admin/audit").status_code == 403
    events = [r for r in caplog.records if getattr(r, "event", None) == "authz.denied"]
    assert len(events) == 1 and events[0].actor_id == employee.id
