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
