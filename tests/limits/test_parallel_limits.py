"""Write limits hold when the writes arrive at once, at two worker processes, on either database
(issue 21: on PostgreSQL 40 parallel comments got 24-26 through a limit of 6 before the count was
taken under the person's row lock)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from app.people.models import Role
from tests import live


def _at_once(url: str, token: str, requests: list[tuple[str, dict[str, object]]]) -> list[int]:
    """POST every request at the same instant (threads behind a barrier); the status codes."""
    gate = threading.Barrier(len(requests))

    def send(request: tuple[str, dict[str, object]]) -> int:
        path, body = request
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
            gate.wait()
            return client.post(path, json=body).status_code

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))


def test_parallel_comments_and_proposals_get_exactly_the_limit_through_two_workers(tmp_path: Path) -> None:
    db_url = live.migrated_database("limits", tmp_path)
    token = live.person_with_token(db_url, role=Role.employee, email="eager@limits.test")
    portal = live.start(tmp_path, db_url, workers=2)
    try:
        with httpx.Client(base_url=portal.url, headers={"Authorization": f"Bearer {token}"}) as client:
            target = client.post(
                "/api/v1/proposals", json={"title": "A place to start", "problem": "p", "change": "c"}
            )
        assert target.status_code == 201, target.text
        comment_path = f"/api/v1/proposals/{target.json()['id']}/comments"
        comments = _at_once(portal.url, token, [(comment_path, {"body": f"Me too {n}"}) for n in range(40)])
        assert sorted(set(comments)) == [201, 429]
        assert comments.count(201) == 6  # PORTAL_LIMIT_COMMENTS_PER_MINUTE
        proposals = _at_once(
            portal.url,
            token,
            [
                ("/api/v1/proposals", {"title": f"Parallel idea {n}", "problem": "p", "change": "c"})
                for n in range(30)
            ],
        )
        assert proposals.count(201) == 9  # 10 an hour, one of them the target above
        assert proposals.count(429) == 21
    finally:
        portal.stop()
