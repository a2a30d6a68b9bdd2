"""SCIM provisioning as Entra ID and Okta send it: people and teams created, changed, moved and
deactivated by the company's directory, and everything else refused with a SCIM error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app.audit.models import AuditEvent
from app.auth import service as auth_service
from app.main import app
from app.people.models import Department, Person, Team
from app.proposals.models import Proposal
from app.scim import service as scim_service
from tests import factories

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@pytest.fixture
def token(db: Session) -> str:
    return scim_service.create_token(db, name="Entra ID").token


@pytest.fixture
def scim(client: TestClient, token: str) -> Iterator[TestClient]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
    with TestClient(app, base_url="http://testserver/scim/v2", headers=headers) as scim_client:
        yield scim_client


def entra_user(email: str, *, department: str = "Customer Care", external_id: str = "e-1") -> dict[str, Any]:
    """What Entra ID's provisioning service sends for a new user (its default attribute mapping)."""
    given, family = email.split("@")[0].capitalize(), "Lindqvist"
    return {
        "schemas": [CORE, ENTERPRISE],
        "externalId": external_id,
        "userName": email,
        "active": True,
        "displayName": f"{given} {family}",
        "emails": [{"primary": True, "type": "work", "value": email}],
        "name": {"formatted": f"{given} {family}", "familyName": family, "givenName": given},
        ENTERPRISE: {"department": department},
    }


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH], "Operations": list(operations)}


def person_by_email(db: Session, email: str) -> Person:
    db.expire_all()
    return db.exec(select(Person).where(Person.email == email)).one()


# --- who may call ------------------------------------------------------------------------------------


def test_anything_but_a_provisioning_token_gets_401_in_scim_form(
    client: TestClient, db: Session, token: str
) -> None:
    admin = factories.person(db, role=factories.Role.admin)
    personal = auth_service.create_token(db, actor=admin, owner=admin).token
    revoked = scim_service.create_token(db, name="old")
    scim_service.revoke_token(db, token_id=revoked.record.id or 0)
    for header in (
        {},
        {"Authorization": f"Bearer {personal}"},
        {"Authorization": f"Bearer {revoked.token}"},
        {"Authorization": "Bearer scim_nonsense"},
        {"Authorization": f"Basic {token}"},
    ):
        answer = client.get("/scim/v2/Users", headers=header)
        assert answer.status_code == 401, header
        assert answer.headers["content-type"].startswith("application/scim+json")
        assert answer.json()["schemas"] == [ERROR] and answer.json()["status"] == "401"
    # A browser's session cookie is no provisioning token either.
    factories.person(db, email="ann@corp.test")
    assert client.post(
        "/login", data={"email": "ann@corp.test", "password": factories.PASSWORD}
    ).status_code in (303, 403)
    assert client.get("/scim/v2/Users").status_code == 401


def test_tokens_are_kept_hashed_and_creating_and_revoking_them_is_audited(db: Session) -> None:
    created = scim_service.create_token(db, name="Okta")
    assert created.token.startswith("scim_") and created.token not in str(created.record.model_dump())
    assert scim_service.token_holder(db, token=created.token) is not None
    scim_service.revoke_token(db, token_id=created.record.id or 0)
    assert scim_service.token_holder(db, token=created.token) is None
    actions = db.exec(select(AuditEvent.action).where(AuditEvent.entity_type == "scim_token")).all()
    assert "scim_token.create" in actions and "scim_token.revoke" in actions


# --- Entra ID ----------------------------------------------------------------------------------------


def test_entra_creates_a_user_who_arrives_with_the_department_and_can_be_found_again(
    scim: TestClient, db: Session
) -> None:
    missing = scim.get("/Users", params={"filter": 'userName eq "alva@corp.test"'})
    assert missing.status_code == 200 and missing.json()["totalResults"] == 0
    created = scim.post("/Users", json=entra_user("alva@corp.test"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["location"].endswith(f"/scim/v2/Users/{body['id']}")
    assert body["userName"] == "alva@corp.test" and body["active"] is True
    assert body[ENTERPRISE]["department"] == "Customer Care"
    person = person_by_email(db, "alva@corp.test")
    assert person.name == "Alva Lindqvist" and person.role.value == "employee" and person.external_id == "e-1"
    # The department the directory named is created (README: never matched on a guess).
    assert db.exec(select(Department).where(Department.name == "Customer Care")).first() is not None
    found = scim.get("/Users", params={"filter": 'userName eq "ALVA@corp.test"'}).json()
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == body["id"]
    by_external = scim.get("/Users", params={"filter": 'externalId eq "e-1"'}).json()
    assert by_external["totalResults"] == 1


def test_entra_patches_name_and_manager_the_way_it_sends_them(scim: TestClient, db: Session) -> None:
    boss = scim.post("/Users", json=entra_user("boss@corp.test", external_id="e-2")).json()
    alva = scim.post("/Users", json=entra_user("alva@corp.test")).json()
    answer = scim.patch(
        f"/Users/{alva['id']}",
        json=patch(
            {"op": "Replace", "path": "displayName", "value": "Alva L."},
            {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": boss["id"]},
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "alva.l@corp.test"},
        ),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()[ENTERPRISE]["manager"]["value"] == boss["id"]
    person = person_by_email(db, "alva.l@corp.test")
    assert person.name == "Alva L." and person.manager_id == int(boss["id"])


def test_entra_deactivation_ends_sessions_and_tokens_at_once_and_keeps_contributions(
    scim: TestClient, client: TestClient, db: Session
) -> None:
    alva_id = scim.post("/Users", json=entra_user("alva@corp.test")).json()["id"]
    alva = person_by_email(db, "alva@corp.test")
    session = auth_service.open_session(db, person=alva).token
    api_token = auth_service.create_token(db, actor=alva, owner=alva).token
    factories.proposal(db, author=alva)
    factories.proposal(db, author=alva, is_anonymous=True)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {api_token}"}).status_code == 200

    # Entra sends the boolean as a string, with a capitalised op.
    answer = scim.patch(
        f"/Users/{alva_id}", json=patch({"op": "Replace", "path": "active", "value": "False"})
    )
    assert answer.status_code == 200 and answer.json()["active"] is False
    assert auth_service.person_for_session(db, token=session) is None
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {api_token}"}).status_code == 401
    assert person_by_email(db, "alva@corp.test").is_active is False
    kept = db.exec(select(func.count()).select_from(Proposal).where(Proposal.author_id == alva.id)).one()
    assert kept == 2
    audit = db.exec(select(AuditEvent).where(AuditEvent.action == "person.deactivate")).all()
    assert any("SCIM: Entra ID" in event.summary for event in audit)
    # Reactivated, the person signs in again, but the revoked token stays revoked.
    scim.patch(f"/Users/{alva_id}", json=patch({"op": "Replace", "path": "active", "value": "True"}))
    assert person_by_email(db, "alva@corp.test").is_active is True
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {api_token}"}).status_code == 401


def test_entra_group_becomes_a_team_placed_in_its_first_members_department(
    scim: TestClient, db: Session
) -> None:
    alva = scim.post("/Users", json=entra_user("alva@corp.test", department="Customer Care")).json()
    bo = scim.post(
        "/Users", json=entra_user("bo@corp.test", department="Customer Care", external_id="e-3")
    ).json()
    assert scim.get("/Groups", params={"filter": 'displayName eq "Care Desk"'}).json()["totalResults"] == 0
    group = scim.post(
        "/Groups", json={"schemas": [GROUP], "displayName": "Care Desk", "externalId": "g-1", "members": []}
    )
    assert group.status_code == 201, group.text
    team_id = int(group.json()["id"])
    team = db.get(Team, team_id)
    assert team is not None
    holding = db.get(Department, team.department_id)
    assert holding is not None and holding.name == scim_service.HOLDING_DEPARTMENT

    added = scim.patch(
        f"/Groups/{team_id}",
        json=patch({"op": "Add", "path": "members", "value": [{"value": alva["id"]}, {"value": bo["id"]}]}),
    )
    assert added.status_code == 200, added.text
    assert {m["value"] for m in added.json()["members"]} == {alva["id"], bo["id"]}
    db.expire_all()
    placed = db.get(Team, team_id)
    assert placed is not None
    department = db.get(Department, placed.department_id)
    assert department is not None and department.name == "Customer Care"
    assert person_by_email(db, "alva@corp.test").team_id == team_id
    assert scim.get(f"/Users/{alva['id']}").json()["groups"][0]["display"] == "Care Desk"

    removed = scim.patch(
        f"/Groups/{team_id}",
        json=patch({"op": "Remove", "path": "members", "value": [{"value": alva["id"]}]}),
    )
    assert [m["value"] for m in removed.json()["members"]] == [bo["id"]]
    assert person_by_email(db, "alva@corp.test").team_id is None
    # Entra's membership check.
    check = scim.get(
        "/Groups",
        params={
            "filter": f'id eq "{team_id}" and members[value eq "{bo["id"]}"]',
            "excludedAttributes": "members",
        },
    ).json()
    assert check["totalResults"] == 1 and "members" not in check["Resources"][0]


# --- Okta --------------------------------------------------------------------------------------------


def test_okta_creates_replaces_renames_and_deactivates(scim: TestClient, db: Session) -> None:
    okta_user = {
        "schemas": [CORE],
        "userName": "cleo@corp.test",
        "active": True,
        "name": {"givenName": "Cleo", "familyName": "Moreau"},
        "emails": [{"primary": True, "value": "cleo@corp.test", "type": "work"}],
    }
    created = scim.post("/Users", json=okta_user)
    assert created.status_code == 201
    user_id = created.json()["id"]
    assert person_by_email(db, "cleo@corp.test").name == "Cleo Moreau"
    replaced = scim.put(
        f"/Users/{user_id}", json={**okta_user, "name": {"givenName": "Cleo", "familyName": "Roy"}}
    )
    assert replaced.status_code == 200 and replaced.json()["name"]["familyName"] == "Roy"
    assert person_by_email(db, "cleo@corp.test").name == "Cleo Roy"

    group = scim.post(
        "/Groups",
        json={
            "schemas": [GROUP],
            "displayName": "Billing",
            "members": [{"value": user_id, "display": "cleo@corp.test"}],
        },
    ).json()
    renamed = scim.patch(
        f"/Groups/{group['id']}",
        json=patch({"op": "replace", "value": {"id": group["id"], "displayName": "Billing and Refunds"}}),
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["displayName"] == "Billing and Refunds"
    gone = scim.patch(
        f"/Groups/{group['id']}", json=patch({"op": "remove", "path": f'members[value eq "{user_id}"]'})
    )
    assert gone.status_code == 200 and "members" not in gone.json()

    off = scim.patch(f"/Users/{user_id}", json=patch({"op": "replace", "value": {"active": False}}))
    assert off.status_code == 200 and person_by_email(db, "cleo@corp.test").is_active is False


# --- people the portal had before, removal and bad input ---------------------------------------------


def test_a_person_imported_before_is_matched_by_e_mail_and_taken_over(scim: TestClient, db: Session) -> None:
    ann = factories.person(db, email="ann@corp.test", name="Ann Imported")
    found = scim.get("/Users", params={"filter": 'userName eq "ann@corp.test"'}).json()
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == str(ann.id)
    taken = scim.post("/Users", json=entra_user("ann@corp.test"))
    assert taken.status_code == 201 and taken.json()["id"] == str(ann.id)
    again = scim.post("/Users", json=entra_user("ann@corp.test"))
    assert again.status_code == 409 and again.json()["scimType"] == "uniqueness"


def test_delete_hides_the_person_from_the_directory_and_a_later_create_brings_them_back(
    scim: TestClient, db: Session
) -> None:
    user_id = scim.post("/Users", json=entra_user("dara@corp.test")).json()["id"]
    assert scim.delete(f"/Users/{user_id}").status_code == 204
    assert scim.get(f"/Users/{user_id}").status_code == 404
    assert person_by_email(db, "dara@corp.test").is_active is False
    back = scim.post("/Users", json=entra_user("dara@corp.test"))
    assert back.status_code == 201 and back.json()["id"] == user_id and back.json()["active"] is True


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"schemas": [CORE], "userName": "no-mail-login"}, "needs an e-mail address"),
        (
            {**entra_user("eve@corp.test"), ENTERPRISE: {"manager": {"value": "999999"}}},
            "send the manager first",
        ),
        ({"schemas": [CORE], "emails": [{"value": "eve@corp.test"}]}, "userName"),
    ],
)
def test_a_bad_user_is_refused_with_a_scim_error_and_nothing_is_created(
    scim: TestClient, db: Session, payload: dict[str, Any], message: str
) -> None:
    before = db.exec(select(func.count()).select_from(Person)).one()
    answer = scim.post("/Users", json=payload)
    assert answer.status_code == 400 and answer.json()["schemas"] == [ERROR]
    assert message in answer.json()["detail"]
    db.expire_all()
    assert db.exec(select(func.count()).select_from(Person)).one() == before


def test_a_bad_filter_a_bad_member_and_an_unknown_address_say_so(scim: TestClient, db: Session) -> None:
    bad_filter = scim.get("/Users", params={"filter": "userName eq"})
    assert bad_filter.status_code == 400 and bad_filter.json()["scimType"] == "invalidFilter"
    team = scim.post("/Groups", json={"schemas": [GROUP], "displayName": "Ops"}).json()
    refused = scim.patch(
        f"/Groups/{team['id']}",
        json=patch({"op": "add", "path": "members", "value": [{"value": "123456789"}]}),
    )
    assert refused.status_code == 400 and "no user" in refused.json()["detail"]
    assert scim.get("/Nowhere").status_code == 404
    assert scim.get("/Nowhere").json()["schemas"] == [ERROR]
    assert scim.post("/Schemas", json={}).status_code == 405
    not_json = scim.post("/Users", content=b"{oops")
    assert not_json.status_code == 400 and not_json.json()["scimType"] == "invalidSyntax"
    members = db.exec(
        select(func.count()).select_from(Person).where(col(Person.team_id) == int(team["id"]))
    ).one()
    assert members == 0
