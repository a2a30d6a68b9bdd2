"""The four roles of the portal. Defined in core because the access table (who reaches which
route, app/core/access.py) and every domain's rules are written in them."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    employee = "employee"
    cx = "cx"
    leader = "leader"
    admin = "admin"
