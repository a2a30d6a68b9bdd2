"""A form as the person filled it in: what they typed, and what is wrong with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FormState:
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # field name -> message beside it

    @property
    def status_code(self) -> int:
        """422 when the form is shown again because something is wrong, else 200."""
        return 422 if self.errors else 200


# What a form may send for a box that is *not* ticked. A browser sends nothing at all for an unticked
# checkbox and "on" (or the box's value) for a ticked one, so anything else that was sent means "yes".
_UNTICKED = frozenset({"", "0", "false", "off", "no"})


def checked(value: object) -> bool:
    """A checkbox as a browser reads it: sent means ticked, whatever its value ("on", "1", "yes"),
    except an explicit no. Every boolean form field goes through this, so a form that sends "on"
    can never post a named proposal where the person ticked "anonymous"."""
    if value is None:
        return False
    return str(value).strip().lower() not in _UNTICKED
