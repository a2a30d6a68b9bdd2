"""The request session: a failed request leaves nothing behind, and the error page can still read
the person who asked."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.people.models import Department
from app.web.deps import get_session


def _request(method: str = "POST") -> Any:
    return SimpleNamespace(method=method, scope={"route": SimpleNamespace(name="admin:department_create")})


def test_a_failed_request_leaves_no_uncommitted_write(engine: Engine) -> None:
    dependency = get_session(_request())
    session = next(dependency)
    session.add(Department(name="Half-made department"))
    session.flush()
    with pytest.raises(RuntimeError):
        dependency.throw(RuntimeError("the route failed"))
    with Session(engine) as fresh:
        assert fresh.exec(select(Department).where(Department.name == "Half-made department")).first() is None


def test_objects_read_before_the_failure_stay_readable(engine: Engine) -> None:
    with Session(engine) as setup:
        setup.add(Department(name="Readable after failure"))
        setup.commit()
    dependency = get_session(_request("GET"))
    session = next(dependency)
    department = session.exec(select(Department).where(Department.name == "Readable after failure")).one()
    with pytest.raises(RuntimeError):
        dependency.throw(RuntimeError("the route failed"))
    assert department.name == "Readable after failure"  # what an error page shows still works
    with Session(engine) as cleanup:
        row = cleanup.exec(select(Department).where(Department.name == "Readable after failure")).one()
        cleanup.delete(row)
        cleanup.commit()
