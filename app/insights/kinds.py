"""The kinds of insight, each declared once: what it is called, what it is for, its own fields and
which of them are required, what search keeps and shows of it, what an export carries, its colour.

Pages, forms, search, exports and the kinds' style sheet (`/kinds.css`) read these declarations. A new
kind is one `KindDeclaration` here (and its value in `Kind`: the column is VARCHAR(16), no migration),
plus its partials in templates/insights/kinds/<kind>/: `form.html` (its own fields; required) and,
where it has them, `facts.html`, `actions.html`, `above_body.html`, `below_body.html` on its page.
`tests/insights/test_kinds.py` checks each declaration against the model, the form and the partials.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    feedback = "feedback"
    pain_point = "pain_point"
    journey_map = "journey_map"
    success_story = "success_story"
    persona = "persona"

    @property
    def label(self) -> str:
        return KINDS[self].label

    @property
    def declaration(self) -> KindDeclaration:
        return KINDS[self]

    def noun(self, n: int) -> str:
        """What to call n of them: "pain point" for one, "success stories" for three, "feedback"."""
        declared = KINDS[self]
        return (declared.label if n == 1 else declared.plural).lower()


@dataclass(frozen=True)
class KindDeclaration:
    kind: Kind
    label: str  # "Pain point"
    plural: str  # "Pain points" (feedback is counted as it is)
    about: str  # what it is, on "What would you like to publish?"
    colour: str  # the card's edge
    badge: tuple[str, str]  # the badge's background and text colours (contrast ≥ 4.5:1)
    # Its own fields on the insight, besides the shared ones (title, body, tags, product area,
    # segment, department); another kind's fields are emptied when an insight is saved.
    fields: tuple[str, ...] = ()
    # Fields that must have a value, with the message shown beside the field when they have none
    # (shared fields too: a persona names its segment). Rules beyond presence are in the service.
    required: dict[str, str] = field(default_factory=dict)
    # The text the search index keeps of it, in this order ("body" is the Markdown body as text);
    # the product area, the segment, the tags and the title are always indexed.
    indexed: tuple[str, ...] = ("body",)
    # The text a search hit's snippet is cut from, in this order.
    snippet: tuple[str, ...] = ("body",)
    # Its columns in the insight export (after the shared ones).
    exported: tuple[str, ...] = ()
    body_label: str = "Details"  # the body's label on the form


KINDS: dict[Kind, KindDeclaration] = {
    declared.kind: declared
    for declared in (
        KindDeclaration(
            Kind.feedback,
            label="Feedback",
            plural="Feedback",
            about=(
                "What one customer said, in their words: a survey answer, a ticket, an interview, a review."
            ),
            colour="#2563eb",
            badge=("#eef2ff", "#1e3a8a"),
            fields=("quote", "channel", "score", "score_scale", "sentiment", "external_id", "received_at"),
            required={
                "quote": "Feedback needs the customer's words.",
                "channel": "Say where the feedback came from.",
            },
            indexed=("quote", "body"),
            snippet=("quote", "body"),
            exported=("quote", "channel", "score", "score_scale", "sentiment", "external_id", "received_at"),
        ),
        KindDeclaration(
            Kind.pain_point,
            label="Pain point",
            plural="Pain points",
            about="A recurring problem customers run into, with the feedback that shows it.",
            colour="#dc2626",
            badge=("#fee2e2", "#8f1d1d"),
            fields=("severity", "customers_affected", "journey_stage_id"),
            required={"severity": "Choose a severity from 1 (minor) to 4 (critical)."},
            exported=("severity", "customers_affected"),
        ),
        KindDeclaration(
            Kind.journey_map,
            label="Journey map",
            plural="Journey maps",
            about="The steps a customer goes through, with goals, thoughts and the emotion at each stage.",
            colour="#7c3aed",
            badge=("#ede9fe", "#4c1d95"),
            fields=("persona",),
            indexed=("body", "persona"),  # and every stage's text (app/insights/search.py)
            snippet=("body", "persona"),
            exported=("persona",),
        ),
        KindDeclaration(
            Kind.success_story,
            label="Success story",
            plural="Success stories",
            about="Something that got better for customers, the teams behind it and what customers said.",
            colour="#15803d",
            badge=("#dcfce7", "#14532d"),
            fields=("quote",),
            indexed=("quote", "body"),
            snippet=("quote", "body"),
            exported=("quote",),
            body_label="What happened",
        ),
        KindDeclaration(
            Kind.persona,
            label="Persona",
            plural="Personas",
            about="A typical customer of a segment: goals, frustrations, representative quotes.",
            colour="#b45309",
            badge=("#fef3c7", "#713f12"),
            fields=("goals", "frustrations", "quotes"),
            required={"segment": "A persona stands for a customer segment; name it."},
            indexed=("body", "goals", "frustrations", "quotes"),
            snippet=("body", "goals"),
            exported=("goals", "frustrations", "quotes"),
        ),
    )
}

# Every kind's own fields (emptied on an insight of another kind), and every kind's export columns,
# each once, in the order the kinds are declared.
ALL_KIND_FIELDS: tuple[str, ...] = tuple(dict.fromkeys(f for k in KINDS.values() for f in k.fields))
EXPORTED_KIND_FIELDS: tuple[str, ...] = tuple(dict.fromkeys(f for k in KINDS.values() for f in k.exported))


def style_sheet() -> str:
    """The kinds' colours as CSS, served at /kinds.css."""
    rules = []
    for declared in KINDS.values():
        background, ink = declared.badge
        rules.append(f".insight-card.kind-{declared.kind.value} {{ border-left-color: {declared.colour}; }}")
        rules.append(f".kind-badge.kind-{declared.kind.value} {{ background: {background}; color: {ink}; }}")
    return "\n".join(rules) + "\n"
