"""Schemathesis over /openapi.json against a live portal with every check it has (`--checks all`):
no request, however odd, gets a 5xx (security.md C1, section d: G2a), and every answer keeps to the
schema: its status is documented, its body matches, a 405 names the methods allowed, a request the
schema forbids is refused. tests/security/schemathesis.toml says where a business rule answers 422
to a body its schema allows. Bounded: a fixed seed and a few examples per operation."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine
from sqlmodel import Session

from app.insights import service as insight_service
from app.insights.schemas import InsightCreate
from app.people import service as people_service
from app.people.models import Role
from app.proposals import schemas as proposal_schemas
from app.proposals import service as proposal_service
from tests import live


def seeded_token(db_url: str) -> str:
    """An admin (every API route is open to them) and a little content for ids to hit."""
    token = live.person_with_token(db_url, role=Role.admin, email="fuzz@fuzz.test")
    engine = create_engine(db_url)
    with Session(engine, expire_on_commit=False) as session:
        admin = people_service.get_by_email(session, email="fuzz@fuzz.test")
        assert admin is not None
        insight_service.create(
            session,
            actor=admin,
            data=InsightCreate.model_validate(
                {"kind": "feedback", "title": "Late", "quote": "q", "channel": "survey"}
            ),
        )
        proposal_service.create(
            session,
            actor=admin,
            data=proposal_schemas.ProposalCreate(title="Fuzzed idea", problem="p", change="c"),
        )
    engine.dispose()
    return token


def test_every_generated_request_gets_a_documented_conforming_answer(tmp_path: Path) -> None:
    db_url = live.migrated_database("fuzz", tmp_path)
    token = seeded_token(db_url)
    portal = live.start(
        tmp_path,
        db_url,
        env={
            "PORTAL_LIMIT_COMMENTS_PER_MINUTE": "100000",
            "PORTAL_LIMIT_COMMENTS_PER_HOUR": "100000",
            "PORTAL_LIMIT_PROPOSALS_PER_HOUR": "100000",
            "PORTAL_LIMIT_SUPPORTS_PER_MINUTE": "100000",
            "PORTAL_LIMIT_UPLOADS_PER_HOUR": "100000",
        },
    )
    try:
        done = subprocess.run(
            [
                str(Path(sys.executable).parent / "schemathesis"),
                "--config-file",
                str(Path(__file__).with_name("schemathesis.toml")),
                "run",
                f"{portal.url}/openapi.json",
                "--header",
                f"Authorization: Bearer {token}",
                "--checks",
                "all",
                "--phases",
                "examples,coverage,fuzzing",
                "--max-examples",
                "25",
                "--seed",
                "2026",
                "--request-timeout",
                "20",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    finally:
        portal.stop()
    output = done.stdout + done.stderr
    (tmp_path / "schemathesis.txt").write_text(output)
    assert done.returncode == 0, output[-6000:]
    operations = re.search(r"Tested: (\d+)", output)
    cases = re.search(r"(\d+) generated, (\d+) passed", output)
    assert operations is not None and int(operations.group(1)) >= 19, output[-3000:]  # every API operation
    assert cases is not None and int(cases.group(1)) >= 1000 and cases.group(1) == cases.group(2), output[
        -3000:
    ]
    print(output[-1500:])  # noqa: T201  the counts, for the closing note (pytest -s)
