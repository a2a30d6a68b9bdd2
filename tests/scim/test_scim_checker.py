"""The SCIM server against an independent compliance checker (scim2-tester), run in-process."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from scim2_client.client import BaseSyncSCIMClient
from scim2_tester import Status, check_server
from sqlmodel import Session

from app.main import app
from app.scim import service as scim_service


class InProcessScimClient(BaseSyncSCIMClient):
    """scim2-client's httpx engine, on the suite's test client (scim2-client ships it for httpx2)."""

    def __init__(self, client: TestClient) -> None:
        super().__init__()
        self.client = client

    def _stays_under_base_url(self, endpoint: str) -> bool:
        url = self.client.build_request("GET", endpoint).url
        base = self.client.base_url
        return url.host == base.host and url.raw_path.startswith(base.raw_path)

    def _parse_json(self, response: Any) -> Any:
        return response.json()

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        return self.client.request(method, url, **kwargs)


@pytest.fixture
def scim_client(client: TestClient, db: Session) -> Iterator[TestClient]:
    token = scim_service.create_token(db, name="checker").token
    with TestClient(
        app, base_url="http://testserver/scim/v2", headers={"Authorization": f"Bearer {token}"}
    ) as scim:
        yield scim


def test_the_independent_scim_checker_finds_no_error(scim_client: TestClient) -> None:
    random.seed(7)  # the checker draws its attribute values and choices at random: the same run each time
    checker = InProcessScimClient(scim_client)
    results = check_server(checker)
    counts = Counter(result.status for result in results)
    errors = [f"{r.title}: {r.reason}" for r in results if r.status == Status.ERROR]
    assert not errors, "\n".join(errors)
    assert counts[Status.SUCCESS] >= 70
    # The only checks left out: one search over Users and Groups at once (POST /.search), which
    # the portal answers 501 as RFC 7644 section 3.4.3 allows; each resource type has its own.
    skipped = {r.reason or "" for r in results if r.status == Status.SKIPPED}
    assert all("several resource types" in reason for reason in skipped), skipped
