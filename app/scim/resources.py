"""The SCIM resources the portal serves, as scim2-models declares them (RFC 7643).

Only what the portal keeps is declared, so the schemas published at /scim/v2/Schemas say exactly
what a directory can set and read back: a User's sign-in name, name, display name, e-mails, active,
external id, and the enterprise extension's department and manager; a Group (a team) with its
display name and members. A directory sending more (phone numbers, addresses) is not refused: what
is not declared is left out, as RFC 7644 lets a service provider do.
"""

from typing import Annotated, Any, Union

from pydantic import Field
from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    ComplexAttribute,
    ETag,
    Extension,
    Filter,
    Meta,
    Mutability,
    Patch,
    Reference,
    Required,
    Resource,
    ResourceType,
    Schema,
    SchemaExtension,
    ScimPolicy,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)

# What the portal tolerates from a directory: attributes it does not keep (Entra's title and
# phoneNumbers, Okta's member "display") are dropped rather than refused, and Microsoft Entra's
# ways of writing PATCH (a remove carrying the value to remove; a filtered path creating the
# entry it names) are read as Entra means them.
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)

ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
MAX_RESULTS = 200  # one page of a list, at most


class Name(ComplexAttribute):
    formatted: str | None = None
    family_name: str | None = None
    given_name: str | None = None


class Email(ComplexAttribute):
    value: Annotated[str | None, Required.true] = None
    type: str | None = Field(None, examples=["work", "home", "other"])
    primary: bool | None = None


class Manager(ComplexAttribute):
    # RFC 7643 marks $ref required, but Entra ID sends the manager's id alone: the id is enough.
    value: Annotated[str | None, CaseExact.true] = None
    ref: Reference["User"] | None = Field(None, serialization_alias="$ref", validation_alias="$ref")


class EnterpriseUser(Extension):
    __schema__ = URN(ENTERPRISE_URN)

    department: str | None = None
    manager: Manager | None = None


class GroupMembership(ComplexAttribute):
    """The team a user is in (read only: membership is changed through the Group)."""

    value: Annotated[str | None, Mutability.read_only, CaseExact.true] = None
    ref: Annotated[Reference[Union["User", "Group"]] | None, Mutability.read_only] = Field(
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    display: Annotated[str | None, Mutability.read_only] = None


class User(Resource[EnterpriseUser]):
    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:User")

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    name: Name | None = None
    display_name: str | None = None
    # Required: the portal reaches people by e-mail. A userName that is an e-mail address is taken
    # when no e-mail is sent (app/scim/service.py, _email_of).
    emails: Annotated[list[Email] | None, Required.true] = None
    active: bool | None = None
    groups: Annotated[list[GroupMembership] | None, Mutability.read_only] = None


class GroupMember(ComplexAttribute):
    value: Annotated[str | None, Mutability.immutable, CaseExact.true] = None
    ref: Annotated[Reference[Union["User", "Group"]] | None, Mutability.immutable] = Field(
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    type: Annotated[str | None, Mutability.immutable] = Field(None, examples=["User", "Group"])


class Group(Resource[Any]):
    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:Group")

    display_name: Annotated[str | None, Required.true] = None
    members: list[GroupMember] | None = None


UserResource = User[EnterpriseUser]  # type: ignore[type-arg]  # what scim2-models builds requests with


def service_provider_config(base_url: str) -> ServiceProviderConfig:
    return ServiceProviderConfig(
        documentation_uri=None,
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="Provisioning token",
                description="A token from `portal scim-token create`, sent as Authorization: Bearer.",
                primary=True,
            )
        ],
        meta=Meta(resource_type="ServiceProviderConfig", location=f"{base_url}/ServiceProviderConfig"),
    )


def resource_types(base_url: str) -> list[ResourceType]:
    user = ResourceType(
        id="User",
        name="User",
        description="A person in the portal",
        endpoint="/Users",
        schema_=User.__schema__,
        schema_extensions=[SchemaExtension(schema_=EnterpriseUser.__schema__, required=False)],
        meta=Meta(resource_type="ResourceType", location=f"{base_url}/ResourceTypes/User"),
    )
    group = ResourceType(
        id="Group",
        name="Group",
        description="A team in the portal",
        endpoint="/Groups",
        schema_=Group.__schema__,
        meta=Meta(resource_type="ResourceType", location=f"{base_url}/ResourceTypes/Group"),
    )
    return [user, group]


def schemas(base_url: str) -> list[Schema]:
    """The resources' schemas and, as RFC 7644 section 4 asks, the discovery documents' own."""
    found = []
    for model in (User, EnterpriseUser, Group, ResourceType, ServiceProviderConfig, Schema):
        schema = model.to_schema()
        schema.meta = Meta(resource_type="Schema", location=f"{base_url}/Schemas/{schema.id}")
        found.append(schema)
    return found
