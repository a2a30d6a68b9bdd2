"""What a closed pulse round may show, and what it must hide (security.md part b).

Pure functions over counts and answers, so the rules can be tested on any organisation:
- R1 a group's scores only with at least k responses;
- R6 complementary suppression: for every shown group, taking away any combination of shown groups
  inside it must leave 0 or at least k people, otherwise a hidden team could be worked out as
  "department minus the others" (more groups are hidden until that holds);
- R5 participation only where at least k were invited, rounded to 10 %;
- R7 a change between rounds only where the number of responses moved by 0 or at least k;
- R8 a distribution only where every answer chosen at all was chosen by at least k people;
- R2 free-text comments only where at least k_text people answered, shuffled, without times;
- R10 an answer is kept under the smallest group that can ever be shown (`reporting_group`): a team
  with fewer than k people invited never has answers marked as its own, so its manager's answer (and
  everyone else's in it) counts in the department;
- R13 a viewer who answered knows their own answer: every group that holds it is judged by the
  answers *besides* theirs (`known` below), for the thresholds and for the differences alike.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.pulse.items import DOMAINS

COMPANY = "company"

WHY_FEW = "Fewer than {k} people answered, so no result is shown."
WHY_SMALL = "Fewer than {k} people were asked here, so their answers count only in the group above."
WHY_FEW_BESIDES_YOU = "Fewer than {k} people besides you answered, so no result is shown to you."
WHY_COMPLEMENT = "Hidden so that it cannot be worked out from the figures that are shown."


@dataclass(frozen=True)
class Answer:
    """One response: its reporting group at launch (team, or only department, or only the company)
    and item id -> 1..5."""

    team_id: int | None
    department_id: int | None
    values: dict[int, int]
    comment: str = ""


@dataclass(frozen=True)
class Org:
    teams: dict[int, tuple[str, int]]  # team id -> (name, department id)
    departments: dict[int, str]
    invited: dict[int, int]  # team id -> people invited at launch
    company_name: str = "Whole company"

    def department_invited(self, department_id: int) -> int:
        return sum(n for t, n in self.invited.items() if self.teams.get(t, ("", -1))[1] == department_id)

    def groups_holding(self, team_id: int, department_id: int, k: int) -> frozenset[str]:
        """The groups that hold an answer from this team: its reporting group and those above it."""
        kept_under = reporting_group(
            team_id=team_id,
            department_id=department_id,
            team_invited=self.invited.get(team_id, 0),
            department_invited=self.department_invited(department_id),
            k=k,
        )
        return frozenset(keys_of(*kept_under))


@dataclass
class Group:
    key: str  # "company", "department:3", "team:7"
    kind: str
    name: str
    parent: str | None
    responses: int
    invited: int
    shown: bool = False
    reason: str = ""
    domains: dict[str, float] | None = None
    safety: float | None = None  # the mean of the four domains
    participation: int | None = None  # percent, rounded to 10

    @property
    def department_id(self) -> int | None:
        return int(self.key.split(":")[1]) if self.kind == "department" else None


@dataclass
class Distribution:
    item_id: int
    buckets: dict[int, int] | None  # value -> people; None when it would show fewer than k
    reason: str = ""


@dataclass
class Release:
    k: int
    groups: list[Group] = field(default_factory=list)
    distributions: list[Distribution] = field(default_factory=list)
    comments: list[str] | None = None
    comments_reason: str = ""

    def group(self, key: str) -> Group:
        return next(g for g in self.groups if g.key == key)


def reporting_group(
    *, team_id: int, department_id: int, team_invited: int, department_invited: int, k: int
) -> tuple[int | None, int | None]:
    """Where an answer is kept: under its team only if the team had at least k people invited at
    launch, under its department only if that had at least k, else under the company alone. A group
    below k can never be shown, so marking answers as its own would only serve someone reading the
    tables (a team of two would have its two answers labelled)."""
    if department_invited < k:
        return None, None
    return (team_id if team_invited >= k else None), department_id


def keys_of(team_id: int | None, department_id: int | None) -> list[str]:
    """The groups an answer kept under this team and department counts in."""
    keys = [COMPANY]
    if department_id is not None:
        keys.append(f"department:{department_id}")
        if team_id is not None:
            keys.append(f"team:{team_id}")
    return keys


def release(
    *,
    org: Org,
    answers: Sequence[Answer],
    items: dict[int, str],
    k: int,
    k_text: int,
    free_text: bool,
    known: frozenset[str] = frozenset(),
) -> Release:
    """`items` maps each item id of the round to its domain. `known` are the groups that hold the
    viewer's own answer (empty for a viewer who did not answer): in those the viewer's answer is not
    counted towards any threshold, so what they read always rests on k answers besides their own."""
    groups = _groups(org, answers)
    counts = {g.key: g.responses - (1 if g.key in known and g.responses else 0) for g in groups}
    children: dict[str, list[str]] = {g.key: [] for g in groups}
    for g in groups:
        if g.parent is not None:
            children[g.parent].append(g.key)
    shown = {key: n >= k for key, n in counts.items()}
    _suppress_complements(counts, children, shown, k)
    members: dict[str, list[Answer]] = {g.key: [] for g in groups}
    for a in answers:
        for key in keys_of(a.team_id, a.department_id):
            if key in members:
                members[key].append(a)
    for g in groups:
        g.shown = shown[g.key]
        if g.invited >= k:
            g.participation = min(100, round(100 * g.responses / g.invited / 10) * 10) if g.invited else None
        if g.shown:
            g.domains = _domain_means(members[g.key], items)
            g.safety = round(sum(g.domains.values()) / len(g.domains), 2) if g.domains else None
        else:
            g.reason = WHY_COMPLEMENT
            if g.kind != "company" and g.invited < k:
                g.reason = WHY_SMALL.format(k=k)
            elif counts[g.key] < k:
                why = WHY_FEW_BESIDES_YOU if g.key in known and g.responses >= k else WHY_FEW
                g.reason = why.format(k=k)
    result = Release(k=k, groups=groups)
    company = result.group(COMPANY)
    for item_id in sorted(items):
        result.distributions.append(
            _distribution(
                item_id, members[COMPANY] if company.shown else [], k, viewer_answered=COMPANY in known
            )
        )
    if free_text:
        if counts[COMPANY] >= k_text:
            # Shuffled: ordered by the text itself, which says nothing about who or when.
            result.comments = sorted(a.comment for a in answers if a.comment.strip())
        else:
            result.comments_reason = f"Comments are shown once at least {k_text} people have answered."
    return result


def _groups(org: Org, answers: Sequence[Answer]) -> list[Group]:
    team_n = Counter(a.team_id for a in answers)
    dept_n = Counter(a.department_id for a in answers)
    groups = [Group(COMPANY, "company", org.company_name, None, len(answers), sum(org.invited.values()))]
    # Each department followed by its teams, as the heat map reads.
    for dept_id, name in sorted(org.departments.items(), key=lambda d: d[1]):
        invited = org.department_invited(dept_id)
        groups.append(Group(f"department:{dept_id}", "department", name, COMPANY, dept_n[dept_id], invited))
        for team_id, (team_name, team_dept) in sorted(org.teams.items(), key=lambda t: t[1][0]):
            if team_dept == dept_id:
                groups.append(
                    Group(
                        f"team:{team_id}",
                        "team",
                        team_name,
                        f"department:{dept_id}",
                        team_n[team_id],
                        org.invited.get(team_id, 0),
                    )
                )
    return groups


def _suppress_complements(
    counts: dict[str, int], children: dict[str, list[str]], shown: dict[str, bool], k: int
) -> None:
    """Hide more groups until, for every shown group, no combination of shown groups inside it
    leaves between 1 and k-1 people unaccounted for. Smaller groups are checked first, and of a
    combination that leaves too few, its smallest group is hidden (the least information lost)."""
    while True:
        for key in sorted(counts, key=lambda g: (counts[g], g)):
            if not shown[key]:
                continue
            combos = _covered(key, counts, children, shown)
            bad = [combo for total, combo in combos.items() if 0 < counts[key] - total < k]
            if bad:
                smallest = min((g for combo in bad for g in combo), key=lambda g: (counts[g], g))
                shown[smallest] = False
                break
        else:
            return


def _covered(
    key: str, counts: dict[str, int], children: dict[str, list[str]], shown: dict[str, bool]
) -> dict[int, tuple[str, ...]]:
    """Every total of disjoint shown groups strictly inside `key` that a reader could add up,
    each with one combination of groups that gives it."""
    sums: dict[int, tuple[str, ...]] = {0: ()}
    for child in children[key]:
        options = dict(_covered(child, counts, children, shown))
        if shown[child]:
            options.setdefault(counts[child], (child,))
        sums = {a + b: combo + other for a, combo in sums.items() for b, other in options.items()}
    return sums


def _domain_means(answers: Sequence[Answer], items: dict[int, str]) -> dict[str, float]:
    totals: Counter[str] = Counter()
    numbers: Counter[str] = Counter()
    for a in answers:
        for item_id, value in a.values.items():
            domain = items.get(item_id)
            if domain is not None:
                totals[domain] += value
                numbers[domain] += 1
    return {d: round(totals[d] / numbers[d], 2) for d in DOMAINS if numbers[d]}


def _distribution(
    item_id: int, answers: Sequence[Answer], k: int, *, viewer_answered: bool = False
) -> Distribution:
    """A viewer who answered knows one answer in some bucket (their own, though we cannot tell
    which bucket), so for them every chosen answer needs k people besides one: k + 1."""
    if not answers:
        return Distribution(item_id, None, "Not enough answers in the whole company.")
    buckets = Counter(a.values[item_id] for a in answers if item_id in a.values)
    if any(0 < n < k + viewer_answered for n in buckets.values()):
        return Distribution(
            item_id, None, f"Shown as a mean only: an answer was chosen by fewer than {k} people."
        )
    return Distribution(item_id, {v: buckets.get(v, 0) for v in range(1, 6)})


def comparable(before: Group, after: Group, k: int) -> bool:
    """A change between two rounds of one group may be shown only if both were shown and the number
    of responses moved by 0 or at least k (R7: a smaller move would isolate the joiners or leavers)."""
    moved = abs(after.responses - before.responses)
    return before.shown and after.shown and (moved == 0 or moved >= k)


@dataclass(frozen=True)
class TrendPoint:
    round_id: int
    label: str
    safety: float | None  # None when the group was not shown in that round
    change: float | None  # None when not comparable (see R7)


def trend(points: Sequence[tuple[int, str, Group | None]], k: int) -> list[TrendPoint]:
    """One group's safety over rounds, oldest first. A round shows a value only if the group was
    shown in it; a change only against the previous shown round, and only if the number of
    responses moved by 0 or at least k (a smaller move would isolate the joiners or leavers)."""
    out: list[TrendPoint] = []
    previous: Group | None = None
    for round_id, label, group in points:
        if group is None or not group.shown or group.safety is None:
            out.append(TrendPoint(round_id, label, None, None))
            continue
        change = None
        if previous is not None and previous.safety is not None and comparable(previous, group, k):
            change = round(group.safety - previous.safety, 2)
        out.append(TrendPoint(round_id, label, group.safety, change))
        previous = group
    return out
