"""No dashboard figure narrows an anonymous proposal to fewer than PORTAL_MIN_GROUP people."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session

from app.dashboard import service as dashboard_service
from app.people.models import Person
from app.proposals import service as proposal_service
from app.proposals.schemas import ProposalCreate
from tests import factories
from tests.browser import Browser

K = 5


def snapshot(db: Session) -> dict[tuple[str, str, str], str]:
    return {(s, n, m): v for s, n, m, v in dashboard_service.csv_rows(dashboard_service.build(db))[1:]}


def test_an_anonymous_proposal_moves_no_department_figure(
    browser: Browser, db: Session, leader: Person
) -> None:
    small = factories.department(db, name="Tiny Legal")
    author = factories.person(db, in_team=factories.team(db, dept=small))
    before = snapshot(db)
    proposal_service.create(
        db,
        actor=author,
        data=ProposalCreate(title="Speak up safely", problem="p", change="c", anonymous=True),
    )
    after = snapshot(db)
    changed = {key for key in after if after[key] != before.get(key)}
    assert all(name == "all" for _section, name, _measure in changed), changed
    assert (
        after[("participation", "Tiny Legal", "proposals_30d")]
        == before[("participation", "Tiny Legal", "proposals_30d")]
    )
    # The CSV a leader downloads says the same.
    rows = list(csv.reader(io.StringIO(browser.sign_in_as(leader).get("/dashboard.csv").text)))
    assert ["participation", "Tiny Legal", "proposals_30d", "0"] in rows


def test_named_proposals_still_count_per_department(db: Session) -> None:
    dept = factories.department(db, name="Warehouse")
    author = factories.person(db, in_team=factories.team(db, dept=dept))
    proposal_service.create(
        db, actor=author, data=ProposalCreate(title="Label the shelves", problem="p", change="c")
    )
    row = next(d for d in dashboard_service.build(db).departments if d.name == "Warehouse")
    assert row.proposals == 1


# --- the differencing attacker ------------------------------------------------------------------------

department_sizes = st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=6)


@st.composite
def organisations(
    draw: st.DrawFn,
) -> tuple[dict[int, str], list[tuple[int, bool]], list[int], list[int], int]:
    sizes = draw(department_sizes)
    department_of: dict[int, str] = {}
    for index, size in enumerate(sizes):
        for _ in range(size):
            department_of[len(department_of) + 1] = f"D{index}"
    people = st.sampled_from(sorted(department_of))
    proposals = draw(st.lists(st.tuples(people, st.booleans()), max_size=20))
    comments = draw(st.lists(people, max_size=20))
    supports = draw(st.lists(people, max_size=20))
    author = draw(people)
    return department_of, proposals, comments, supports, author


def figures(
    department_of: dict[int, str], proposals: list[tuple[int, bool]], comments: list[int], supports: list[int]
) -> dict[tuple[str, str], int | None]:
    rows = dashboard_service.department_rows(
        department_of=department_of,
        reached=set(),
        proposals=proposals,
        comment_authors=comments,
        supporters=supports,
    )
    out: dict[tuple[str, str], int | None] = {}
    for r in rows:
        out[(r.name, "proposals")] = r.proposals
        out[(r.name, "comments")] = r.comments
        out[(r.name, "supports")] = r.supports
    out[("all", "anonymous")] = dashboard_service.anonymous_count(
        proposals=proposals, people=len(department_of), min_group=K
    )
    out[("all", "proposals")] = len(proposals)
    return out


@given(organisations())
def test_differencing_two_snapshots_never_narrows_an_anonymous_author_below_k(
    org: tuple[dict[int, str], list[tuple[int, bool]], list[int], list[int], int],
) -> None:
    """An attacker reads every figure before and after one anonymous proposal. Each figure that moved
    says "the author is among this figure's people"; that group must always have at least k people
    (or, for a whole company smaller than k, nothing may move but the plain total of proposals)."""
    department_of, proposals, comments, supports, author = org
    before = figures(department_of, proposals, comments, supports)
    after = figures(department_of, [*proposals, (author, True)], comments, supports)
    population = {name: list(department_of.values()).count(name) for name in set(department_of.values())}
    population["all"] = len(department_of)
    for key in after:
        if after[key] != before.get(key):
            group, measure = key
            if group == "all" and measure == "proposals":
                continue  # the proposal list shows it anyway; the whole company is the group
            assert population[group] >= K, (key, population[group])
