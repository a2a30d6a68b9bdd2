"""The release rules on their own (security.md R1, R2, R5-R8; test T3 and the T4 attacker)."""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations

from hypothesis import given
from hypothesis import strategies as st

from app.pulse import release as rules

K = 5
ITEMS = {
    1: "risk",
    2: "risk",
    3: "conversation",
    4: "conversation",
    5: "help",
    6: "help",
    7: "inclusion",
    8: "inclusion",
}


def answers_for(team_id: int, dept_id: int, n: int, value: int = 4, comment: str = "") -> list[rules.Answer]:
    return [rules.Answer(team_id, dept_id, dict.fromkeys(ITEMS, value), comment) for _ in range(n)]


def org(teams: dict[int, tuple[str, int]], invited: dict[int, int] | None = None) -> rules.Org:
    departments = {d: f"Department {d}" for _, d in teams.values()}
    return rules.Org(teams=teams, departments=departments, invited=invited or dict.fromkeys(teams, 15))


def run(o: rules.Org, answers: list[rules.Answer], *, free_text: bool = False) -> rules.Release:
    return rules.release(org=o, answers=answers, items=ITEMS, k=K, k_text=10, free_text=free_text)


def test_a_team_of_four_is_hidden_and_a_team_of_five_is_shown() -> None:
    o = org({1: ("Four", 1), 2: ("Five", 2), 3: ("Three", 1)})
    result = run(o, answers_for(1, 1, 4) + answers_for(2, 2, 5) + answers_for(3, 1, 3))
    four, five = result.group("team:1"), result.group("team:2")
    assert not four.shown and four.domains is None and "Fewer than 5" in four.reason
    assert five.shown and five.domains == {"risk": 4.0, "conversation": 4.0, "help": 4.0, "inclusion": 4.0}
    assert result.group("department:1").shown  # 4 + 3 together are enough


def test_a_shown_department_hides_its_shown_sibling_when_the_rest_is_too_small() -> None:
    """Company 9 = department of 5 (shown) + department of 4: 9 - 5 would show the 4."""
    result = run(org({1: ("Four", 1), 2: ("Five", 2)}), answers_for(1, 1, 4) + answers_for(2, 2, 5))
    assert result.group("company").shown
    assert not result.group("department:2").shown and not result.group("team:2").shown


def test_department_minus_the_other_teams_cannot_reveal_a_hidden_team() -> None:
    """Department of 9 = team of 7 (shown alone) + team of 2 (hidden): 9 - 7 would show the 2."""
    o = org({1: ("Big", 1), 2: ("Small", 1)})
    result = run(o, answers_for(1, 1, 7) + answers_for(2, 1, 2, value=1))
    assert result.group("department:1").shown
    big = result.group("team:1")
    assert not big.shown and "worked out" in big.reason


def test_participation_needs_k_invited_and_is_rounded_to_ten() -> None:
    o = org({1: ("Seven asked", 1), 2: ("Three asked", 1)}, invited={1: 7, 2: 3})
    result = run(o, answers_for(1, 1, 6) + answers_for(2, 1, 1))
    assert result.group("team:1").participation == 90  # 6 of 7 = 86 %
    assert result.group("team:2").participation is None


def test_a_distribution_only_where_every_chosen_answer_has_k_people() -> None:
    o = org({1: ("A", 1)})
    even = run(o, answers_for(1, 1, 5, value=4) + answers_for(1, 1, 5, value=2))
    assert even.distributions[0].buckets == {1: 0, 2: 5, 3: 0, 4: 5, 5: 0}
    lonely = run(o, answers_for(1, 1, 9, value=4) + answers_for(1, 1, 1, value=1))
    assert lonely.distributions[0].buckets is None and "fewer than 5" in lonely.distributions[0].reason


def test_comments_need_ten_respondents() -> None:
    o = org({1: ("A", 1)})
    nine = run(o, answers_for(1, 1, 9, comment="More breaks"), free_text=True)
    assert nine.comments is None and "10" in nine.comments_reason
    ten = run(o, answers_for(1, 1, 10, comment="More breaks"), free_text=True)
    assert ten.comments == ["More breaks"] * 10


def test_change_between_rounds_only_when_the_count_moved_by_zero_or_k() -> None:
    def group(n: int, safety: float) -> rules.Group:
        return rules.Group("team:1", "team", "A", None, n, 10, shown=True, safety=safety)

    points = rules.trend([(1, "r1", group(6, 3.0)), (2, "r2", group(7, 3.4)), (3, "r3", group(12, 3.6))], K)
    assert [p.change for p in points] == [None, None, 0.2]


# --- T4: a differencing attacker over random organisations ---------------------------------------------


@st.composite
def organisations(draw: st.DrawFn) -> tuple[rules.Org, list[rules.Answer]]:
    teams: dict[int, tuple[str, int]] = {}
    answers: list[rules.Answer] = []
    for dept in range(1, draw(st.integers(1, 3)) + 1):
        for _ in range(draw(st.integers(1, 3))):
            team_id = len(teams) + 1
            teams[team_id] = (f"T{team_id}", dept)
            n = draw(st.integers(0, 15))
            answers += answers_for(team_id, dept, n, value=draw(st.integers(1, 5)))
    return org(teams), answers


def inside(key: str, ancestor: str, parent_of: dict[str, str | None]) -> bool:
    up = parent_of[key]
    while up is not None:
        if up == ancestor:
            return True
        up = parent_of[up]
    return False


def what_subtraction_isolates(
    result: rules.Release, unknown: Callable[[rules.Group], int] = lambda g: g.responses
) -> list[tuple[str, list[str], int]]:
    """Subtract every combination of disjoint shown groups from every shown group that holds them
    (brute force, independent of the implementation) and return each remainder of 1..k-1 answers
    the reader does not already know (`unknown` counts those in a group: all of its answers for a
    stranger, all but their own for a viewer who answered in it)."""
    parent_of = {g.key: g.parent for g in result.groups}
    shown = [g for g in result.groups if g.shown]
    found = [(g.key, [], unknown(g)) for g in shown if unknown(g) < K]
    for outer in shown:
        members = [g for g in shown if inside(g.key, outer.key, parent_of)]
        for size in range(1, len(members) + 1):
            for combo in combinations(members, size):
                keys = [g.key for g in combo]
                if any(inside(a, b, parent_of) for a in keys for b in keys if a != b):
                    continue  # overlapping groups: not a clean difference
                left = unknown(outer) - sum(unknown(g) for g in combo)
                if 0 < left < K:
                    found.append((outer.key, keys, left))
    return found


@given(organisations())
def test_no_difference_of_shown_figures_isolates_fewer_than_k_people(
    case: tuple[rules.Org, list[rules.Answer]],
) -> None:
    o, answers = case
    assert what_subtraction_isolates(run(o, answers)) == []


@given(
    st.lists(st.integers(0, 30), min_size=2, max_size=6), st.lists(st.floats(1, 5), min_size=6, max_size=6)
)
def test_a_change_is_never_shown_across_fewer_than_k_joiners_or_leavers(
    counts: list[int], safeties: list[float]
) -> None:
    points = [
        (
            i,
            f"r{i}",
            rules.Group(
                "team:1", "team", "A", None, n, 30, shown=n >= K, safety=safeties[i] if n >= K else None
            ),
        )
        for i, n in enumerate(counts)
    ]
    trend = rules.trend(points, K)
    previous = None
    for (_, _, group), point in zip(points, trend, strict=True):
        if point.safety is None:
            assert point.change is None
            continue
        if point.change is not None:
            assert previous is not None
            moved = abs(group.responses - previous.responses)
            assert moved == 0 or moved >= K
        previous = group
