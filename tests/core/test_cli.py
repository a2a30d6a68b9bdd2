"""The `portal` command, run as a user would, against a scratch database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func
from sqlmodel import Session, select

from app.auth import service as auth_service
from app.people.models import Department, Person, Role, Team
from tests.databases import create_database, drop_database

PORTAL = [sys.executable, "-m", "app.cli"]


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[dict[str, str]]:
    url = create_database("cli", tmp_path)
    env = {**os.environ, "PORTAL_DATABASE_URL": url, "PORTAL_DATA_DIR": str(tmp_path / "data")}
    yield env
    drop_database(url)


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PORTAL, *args], env=env, capture_output=True, text=True, timeout=120)


def test_users_create_and_tokens_create_work_from_the_command_line(scratch: dict[str, str]) -> None:
    assert run(scratch, "db", "upgrade").returncode == 0
    who = ["--email", "Ops@Corp.Local", "--name", "Ops Person", "--role", "leader"]
    where = ["--team", "Night Shift", "--department", "Operations"]
    created = run(scratch, "users", "create", *who, *where, "--password", "a good long passphrase")
    assert created.returncode == 0, created.stderr
    assert "Created Ops Person <ops@corp.local> as leader" in created.stdout
    token_run = run(scratch, "tokens", "create", "--email", "ops@corp.local")
    assert token_run.returncode == 0, token_run.stderr
    token = token_run.stdout.strip().splitlines()[-1]
    engine = create_engine(scratch["PORTAL_DATABASE_URL"])
    with Session(engine) as session:
        person = auth_service.person_for_token(session, token=token)
        assert person is not None and person.role == Role.leader
        team = session.exec(select(Team).where(Team.name == "Night Shift")).one()
        dept = session.get(Department, team.department_id)
        assert dept is not None and dept.name == "Operations" and person.team_id == team.id
    engine.dispose()
    again = run(scratch, "tokens", "create", "--email", "ops@corp.local")
    assert again.stdout.strip().splitlines()[-1] != token


def test_users_create_refuses_bad_input_with_a_clear_message(scratch: dict[str, str]) -> None:
    run(scratch, "db", "upgrade")
    bad_role = run(scratch, "users", "create", "--email", "a@b.test", "--name", "A", "--role", "boss")
    assert bad_role.returncode == 2 and "Unknown role 'boss'" in bad_role.stderr
    weak = run(scratch, "users", "create", "--email", "a@b.test", "--name", "A", "--password", "short")
    assert weak.returncode == 2 and "at least 10 characters" in weak.stderr
    unknown = run(scratch, "tokens", "create", "--email", "nobody@b.test")
    assert unknown.returncode == 2 and "No active person" in unknown.stderr


def test_seed_loads_the_demo_company_once(scratch: dict[str, str]) -> None:
    run(scratch, "db", "upgrade")
    first = run(scratch, "seed")
    assert first.returncode == 0 and "Loaded the demo company" in first.stdout
    engine = create_engine(scratch["PORTAL_DATABASE_URL"])
    with Session(engine) as session:
        people = session.exec(select(func.count()).select_from(Person)).one()
        teams = session.exec(select(func.count()).select_from(Team)).one()
        departments = session.exec(select(func.count()).select_from(Department)).one()
        roles = set(session.exec(select(Person.role)).all())
    assert people >= 40 and teams >= 12 and departments >= 6
    assert roles == set(Role)
    assert "6 proposals" in first.stdout
    reindexed = run(scratch, "reindex")
    # 150 insights, 6 proposals and 3 comments of the demo
    assert reindexed.returncode == 0 and "Search index rebuilt: 159 documents." in reindexed.stdout
    second = run(scratch, "seed")
    assert "already has people" in second.stdout
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Person)).one() == people
    engine.dispose()


def test_unusable_configuration_is_refused_with_the_reason(scratch: dict[str, str]) -> None:
    result = run({**scratch, "PORTAL_MIN_GROUP": "2"}, "db", "upgrade")
    assert result.returncode == 2
    assert "PORTAL_MIN_GROUP can never be below 3" in result.stderr


def test_serve_refuses_an_unmigrated_database(scratch: dict[str, str]) -> None:
    result = run(scratch, "serve", "--port", "1")
    assert result.returncode == 2 and "portal db upgrade" in result.stderr


def test_worker_applies_the_outbox_until_stopped(scratch: dict[str, str]) -> None:
    import signal
    import time

    from app.search.models import SearchOutbox

    assert run(scratch, "db", "upgrade").returncode == 0
    who = ["--email", "w@corp.local", "--name", "Wendy Worker", "--role", "cx"]
    where = ["--team", "Index", "--department", "Ops"]
    created = run(scratch, "users", "create", *who, *where)
    assert created.returncode == 0, created.stderr
    worker = subprocess.Popen(
        [*PORTAL, "worker", "--interval", "0.2"], env=scratch, stdout=subprocess.PIPE, text=True
    )
    engine = create_engine(scratch["PORTAL_DATABASE_URL"])
    try:
        with Session(engine) as session:
            session.add(SearchOutbox(entity_type="insight", entity_id=999_999, op="upsert"))
            session.commit()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with Session(engine) as session:
                pending = session.exec(
                    select(func.count()).select_from(SearchOutbox).where(SearchOutbox.processed_at.is_(None))  # type: ignore[union-attr]
                ).one()
            if pending == 0:
                break
            time.sleep(0.2)
        assert pending == 0
    finally:
        worker.send_signal(signal.SIGTERM)
        out, _ = worker.communicate(timeout=30)
        engine.dispose()
    assert worker.returncode == 0 and "worker stopped" in out


def test_scim_tokens_are_created_listed_and_revoked_from_the_command_line(scratch: dict[str, str]) -> None:
    from app.scim import service as scim_service

    run(scratch, "db", "upgrade")
    created = run(scratch, "scim-token", "create", "--name", "Entra ID")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("scim_")
    listed = run(scratch, "scim-token", "list")
    assert "Entra ID" in listed.stdout and "active" in listed.stdout and token not in listed.stdout
    engine = create_engine(scratch["PORTAL_DATABASE_URL"])
    with Session(engine) as session:
        assert scim_service.token_holder(session, token=token) is not None
    revoked = run(scratch, "scim-token", "revoke", "1")
    assert revoked.returncode == 0 and "Revoked" in revoked.stdout
    with Session(engine) as session:
        assert scim_service.token_holder(session, token=token) is None
    engine.dispose()
    assert run(scratch, "scim-token", "revoke", "99").returncode == 2


def test_pulse_tick_opens_a_scheduled_round_and_remind_names_nobody(scratch: dict[str, str]) -> None:
    from app.core.models import utcnow
    from app.pulse.models import PulseSchedule

    assert run(scratch, "db", "upgrade").returncode == 0
    for n in range(5):
        made = run(
            scratch,
            "users",
            "create",
            "--email",
            f"p{n}@corp.test",
            "--name",
            f"P {n}",
            "--team",
            "Dock",
            "--department",
            "Ops",
        )
        assert made.returncode == 0, made.stderr
    engine = create_engine(scratch["PORTAL_DATABASE_URL"])
    with Session(engine) as session:
        session.add(
            PulseSchedule(title="Team pulse", cadence="monthly", open_days=7, next_opens_on=utcnow().date())
        )
        session.commit()
    engine.dispose()
    ticked = run(scratch, "pulse", "tick")
    assert ticked.returncode == 0, ticked.stderr
    assert "Opened “Team pulse, " in ticked.stdout and "1 opened, 0 not opened, 0 closed." in ticked.stdout
    assert run(scratch, "pulse", "tick").stdout.strip().endswith("0 opened, 0 not opened, 0 closed.")
    reminded = run(scratch, "pulse", "remind")
    assert reminded.returncode == 0 and reminded.stdout.strip() == "Reminders sent for 1 open round."
    assert "p0@corp.test" not in reminded.stdout + reminded.stderr
    missing = run(scratch, "pulse", "remind", "--round", "99")
    assert missing.returncode == 2 and "Round 99 is not open." in missing.stderr
