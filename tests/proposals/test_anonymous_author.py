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


# --- a merge carries support, never a name ---------------------------------------------------------


def test_merging_an_anonymous_duplicate_counts_its_author_without_naming_them(
    db: Session, browser: Browser, quiet: Person, employee: Person, cx: Person, leader: Person
) -> None:
    original = propose(db, employee, title="Evening slots")
    duplicate = propose(db, quiet, title="Deliver after six", anonymous=True)
    proposal_service.support(db, actor=cx, proposal_id=duplicate)
    decide(db, leader, duplicate, "duplicate", "Same idea.", duplicate_of=original)

    assert proposal_service.get(db, proposal_id=original).support_count == 2  # cx and the author
    assert [p.name for p in proposal_service.supporters(db, proposal_id=original)] == ["Cass Cx"]
    for reader in (employee, cx, leader):
        page = browser.sign_in_as(reader).get(f"/proposals/{original}").text
        assert (
            "Quentin" not in page and "1 without a name" in page and "<strong>2</strong> supporters" in page
        )
    # The author still hears the answer, and their support counts where it went.
    assert any("was merged into “Evening slots”" in text for text in notes(db, quiet))
    mine = browser.sign_in_as(quiet).get(f"/proposals/{original}").text
    assert "You support this" in mine and "<li>Quentin Quiet</li>" not in mine


def test_support_that_was_unnamed_stays_unnamed_through_a_second_merge(
    db: Session, quiet: Person, employee: Person, cx: Person, leader: Person
) -> None:
    first = propose(db, quiet, title="Quiet first idea", anonymous=True)
    middle = propose(db, cx, title="Middle idea")
    last = propose(db, employee, title="Where it all ends")
    decide(db, leader, first, "duplicate", "Same.", duplicate_of=middle)
    decide(db, leader, middle, "duplicate", "Same again.", duplicate_of=last)
    rows = {
        s.person_id: s.anonymous for s in db.exec(select(Support).where(Support.proposal_id == last)).all()
    }
    assert rows == {quiet.id: True, cx.id: False}


def test_unnamed_support_is_not_counted_under_a_department(
    db: Session, quiet: Person, employee: Person, leader: Person
) -> None:
    original = propose(db, employee, title="Evening slots")
    duplicate = propose(db, quiet, title="Deliver after six", anonymous=True)
    decide(db, leader, duplicate, "duplicate", "Same idea.", duplicate_of=original)
    board = dashboard_service.build(db)
    assert sum(row.supports for row in board.departments) == 0


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
