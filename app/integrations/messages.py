"""One happening, shaped for each kind of channel:
- webhook: the Standard Webhooks body `{type, timestamp, data}`;
- slack: an incoming-webhook message, `text` (for notifications) and `blocks`;
- teams: a Microsoft Teams message card with a button to the portal.
A body stays under MAX_BODY bytes: every text in it is an excerpt (events.EXCERPT)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.integrations.events import Happening

MAX_BODY = 16_384  # bytes of JSON, documented in the README (Integrations)
THEME = "0B5CAD"  # the portal's blue, for the Teams card's edge


def body(kind: str, happening: Happening, at: datetime) -> dict[str, Any]:
    if kind == "slack":
        shaped = slack(happening)
    elif kind == "teams":
        shaped = teams(happening)
    else:
        shaped = {"type": happening.type, "timestamp": at.isoformat(), "data": happening.data}
    if len(encode(shaped)) > MAX_BODY:  # never, with excerpts; a guard so no receiver gets more
        raise ValueError(f"a {happening.type} message would exceed {MAX_BODY} bytes")
    return shaped


def encode(shaped: dict[str, Any]) -> bytes:
    """The exact bytes sent (and, for a webhook, signed)."""
    return json.dumps(shaped, ensure_ascii=False, separators=(",", ":")).encode()


def _slack_escape(text: str) -> str:
    # Slack's mrkdwn reads &, < and > as markup (https://api.slack.com/reference/surfaces/formatting).
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(happening: Happening) -> dict[str, Any]:
    headline = _slack_escape(happening.headline)
    lines = f"*<{happening.url}|{headline}>*"
    if happening.text:
        lines += "\n" + _slack_escape(happening.text)
    return {
        "text": f"{happening.headline} {happening.url}",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": lines}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "Insight Loop"}]},
        ],
    }


def teams(happening: Happening) -> dict[str, Any]:
    return {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": happening.headline,
        "themeColor": THEME,
        "title": happening.headline,
        "text": happening.text or happening.headline,
        "potentialAction": [
            {
                "@type": "OpenUri",
                "name": "Open in Insight Loop",
                "targets": [{"os": "default", "uri": happening.url}],
            }
        ],
    }
