"""The pulse's questions: the four qualities of psychological safety, two statements each, our own
wording, answered from 1 (strongly disagree) to 5 (strongly agree). A round copies them at launch,
so a round's questions never change once people have started answering."""

from __future__ import annotations

from dataclasses import dataclass

DOMAINS: dict[str, str] = {
    "risk": "Attitude to risk and failure",
    "conversation": "Open conversation",
    "help": "Willingness to help",
    "inclusion": "Inclusivity",
}

# The qualities as the API names them (shared/design.md), each with the domain key of its statements.
QUALITIES: dict[str, str] = {
    "risk_and_failure": "risk",
    "open_conversation": "conversation",
    "willingness_to_help": "help",
    "inclusivity": "inclusion",
}
QUALITY_OF_DOMAIN = {domain: quality for quality, domain in QUALITIES.items()}

SCALE = {
    1: "Strongly disagree",
    2: "Disagree",
    3: "Neither agree nor disagree",
    4: "Agree",
    5: "Strongly agree",
}


@dataclass(frozen=True)
class ItemSpec:
    domain: str
    text: str


CATALOGUE: tuple[ItemSpec, ...] = (
    ItemSpec("risk", "If I make a mistake in this team, it is not held against me."),
    ItemSpec("risk", "I can try something new here without fear of looking foolish if it does not work."),
    ItemSpec("conversation", "In this team I can bring up problems and difficult issues."),
    ItemSpec("conversation", "When I disagree with a decision, I can say so openly."),
    ItemSpec("help", "It is easy to ask other members of this team for help."),
    ItemSpec("help", "People in this team go out of their way to help each other."),
    ItemSpec("inclusion", "People in this team accept colleagues who are different from them."),
    ItemSpec("inclusion", "My skills and ideas are valued and used in this team."),
)

FREE_TEXT_QUESTION = "Is there anything you want your leaders to know? Please do not write names."
