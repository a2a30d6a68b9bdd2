"""Small text helpers shared by the services."""

from __future__ import annotations


def escape_like(text: str) -> str:
    """Make `%`, `_` and `\\` match themselves in a SQL LIKE pattern (used with escape="\\")."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
