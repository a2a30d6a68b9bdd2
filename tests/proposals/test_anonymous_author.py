"""An anonymous proposal's author stays unknown: through a merge, a support, and however the form
sends its checkbox (issue 19; security.md R15)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.auth import service as auth_service
from app.core.errors import Conflict
from app.core.forms import checked
from app.dashboard import service as dashboard_service
from app.people.models import Person
from app.proposals import service as proposal_service
from app.proposals.models import Proposal, Support
from app.pulse.models import PulseRound
from tests import factories
from tests.browser import Browser, bearer
from tests.proposals.test_decisions import decide, notes, propose


@pytest.fixture
def quiet(db: Session) -> Person:
    """The author of the anonymous proposals below: a name that must never show next to them."""
    return factories.person(db, name="Quentin Quiet", email="quentin@example.test")


# --- a merge carries support, never an anonymous author ------------------------------------------


def test_merging_an_anonymous_duplicate_carries_its_supporters_never_its_author(
    db: Session, browser: Browser, quiet: Person, employee: Person, cx: Person, leader: Person
) -> None:
    original = propose(db, employee, title="Evening slots")
    duplicate = propose(db, quiet, title="Deliver after six", anonymous=True)
    proposal_service.support(db, actor=cx, proposal_id=duplicate)
    decide(db, leader, duplicate, "duplicate", "Same idea.", duplicate_of=original)

    assert proposal_service.get(db, proposal_id=original).support_count == 1  # cx; never the author
    assert [p.name for p in proposal_service.supporters(db, proposal_id=original)] == ["Cass Cx"]
    for reader in (employee, cx, leader):
        page = browser.sign_in_as(reader).get(f"/proposals/{original}").text
        assert "Quentin" not in page and "<strong>1</strong> supporter" in page
    # The author still hears the answer and follows the original.
    assert any("was merged into “Evening slots”; you follow it there." in t for t in notes(db, quiet))
    assert any("your support now counts there" in t for t in notes(db, cx))
    mine = browser.sign_in_as(quiet).get(f"/proposals/{original}").text
    assert "Stop following" in mine and "<li>Quentin Quiet</li>" not in mine


def test_the_count_after_a_merge_says_nothing_about_the_anonymous_author(
    db: Session, quiet: Person, employee: Person, cx: Person, leader: Person
) -> None:
    """Counted without a name, the author's support would still tell: when they already supported
    the original the count would not rise, which narrows them to its supporters. So it is never
    carried, and the count moves the same whether or not they supported the original."""
    moved = []
    for already_supports in (False, True):
        original = propose(db, employee, title=f"Evening slots {already_supports}")
        if already_supports:
            proposal_service.support(db, actor=quiet, proposal_id=original)
        before = proposal_service.get(db, proposal_id=original).support_count
        duplicate = propose(db, quiet, title=f"Deliver after six {already_supports}", anonymous=True)
        proposal_service.support(db, actor=cx, proposal_id=duplicate)
        decide(db, leader, duplicate, "duplicate", "Same idea.", duplicate_of=original)
        moved.append(proposal_service.get(db, proposal_id=original).support_count - before)
    assert moved == [1, 1]


def test_a_merge_adds_no_support_to_the_department_figures_for_an_anonymous_author(
    db: Session, quiet: Person, employee: Person, leader: Person
) -> None:
    original = propose(db, employee, title="Evening slots")
    duplicate = propose(db, quiet, title="Deliver after six", anonymous=True)
    decide(db, leader, duplicate, "duplicate", "Same idea.", duplicate_of=original)
    board = dashboard_service.build(db)
    assert sum(row.supports for row in board.departments) == 0
    assert db.exec(select(Support).where(Support.person_id == quiet.id)).all() == []


# --- the author of an anonymous proposal cannot support it by name ------------------------------


def test_the_anonymous_author_is_refused_support_and_nothing_changes(
    db: Session, quiet: Person, cx: Person
) -> None:
    pid = propose(db, quiet, title="Quiet idea", anonymous=True)
    with pytest.raises(Conflict, match="anonymously"):
        proposal_service.support(db, actor=quiet, proposal_id=pid)
    assert proposal_service.supporters(db, proposal_id=pid) == []
    assert proposal_service.get(db, proposal_id=pid).support_count == 0
    assert proposal_service.support(db, actor=cx, proposal_id=pid) == 1  # anyone else may


def test_the_page_warns_instead_of_offering_support_and_the_api_answers_409(
    db: Session, browser: Browser, quiet: Person, cx: Person
) -> None:
    pid = propose(db, quiet, title="Quiet idea", anonymous=True)
    page = browser.sign_in_as(quiet).get(f"/proposals/{pid}").text
    assert "you cannot support it" in page and f'action="/proposals/{pid}/support"' not in page
    assert f'action="/proposals/{pid}/support"' in browser.sign_in_as(cx).get(f"/proposals/{pid}").text

    browser.sign_in_as(quiet)
    refused = browser.post(f"/proposals/{pid}/support", {})
    assert refused.status_code == 303
    assert "anonymously" in browser.get(refused.headers["location"]).text
    token = auth_service.create_token(db, actor=quiet, owner=quiet).token
    answer = browser.client.post(f"/api/v1/proposals/{pid}/support", headers=bearer(token))
    assert answer.status_code == 409 and "anonymously" in answer.json()["detail"]
    assert proposal_service.get(db, proposal_id=pid).support_count == 0


# --- every boolean form field is read as a checkbox -----------------------------------------------


@pytest.mark.parametrize("sent", ["on", "1", "yes", "true", "anonymous", "ON"])
def test_a_ticked_box_counts_whatever_value_it_sends(
    db: Session, browser: Browser, quiet: Person, sent: str
) -> None:
    browser.sign_in_as(quiet)
    form = {"title": f"Quiet idea {sent}", "problem": "p", "change": "c", "anonymous": sent}
    assert browser.post("/proposals/new", form).status_code == 303
    proposal = db.exec(select(Proposal).where(Proposal.title == f"Quiet idea {sent}")).one()
    assert proposal.is_anonymous
    assert "Quentin" not in browser.sign_in_as(factories.person(db)).get(f"/proposals/{proposal.id}").text


@pytest.mark.parametrize("sent", [None, "", "0", "off", "false", "no"])
def test_an_unticked_box_is_named(db: Session, browser: Browser, quiet: Person, sent: str | None) -> None:
    browser.sign_in_as(quiet)
    form = {"title": "Named idea", "problem": "p", "change": "c"}
    if sent is not None:
        form["anonymous"] = sent
    assert browser.post("/proposals/new", form).status_code == 303
    assert not db.exec(select(Proposal).where(Proposal.title == "Named idea")).one().is_anonymous


def test_the_pulse_form_reads_its_free_text_box_as_a_checkbox(
    db: Session, browser: Browser, leader: Person
) -> None:
    team, _ = factories.team_of(db, 5)
    browser.sign_in_as(leader)
    form = {"title": "Checkbox pulse", "closes_on": "2099-01-01", "team_ids": str(team.id), "free_text": "on"}
    assert browser.post("/pulse/new", form).status_code == 303
    assert db.exec(select(PulseRound).where(PulseRound.title == "Checkbox pulse")).one().free_text


def test_checked_reads_what_browsers_and_scripts_send() -> None:
    assert [checked(v) for v in ("on", "1", "true", "Yes", "x")] == [True] * 5
    assert [checked(v) for v in (None, "", " ", "0", "off", "False", "no")] == [False] * 7
