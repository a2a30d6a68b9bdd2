"""Bounded types for what people send: ids, page numbers, single-line text, and the list filters
read from a query string (where a value we do not know means no filter, never an error).

A database id is a 64-bit signed integer on SQLite and PostgreSQL. A larger number sent in a path,
a query or a body used to reach the driver and fail there with a 500 (OverflowError on SQLite,
NumericValueOutOfRange on PostgreSQL); bounding it here answers 422 instead, before any query.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Path, Query
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
)
from pydantic_core import CoreSchema, core_schema

MAX_ID = 2**63 - 1
MAX_PAGE = 100_000

# An id in a JSON body or a model field.
DbId = Annotated[int, Field(ge=1, le=MAX_ID)]
# An id in the URL path, e.g. /proposals/{proposal_id}.
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
# An optional id in the query string, e.g. ?insight=42.
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
# A page number in the query string.
PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE)]

# C0 and C1 control characters, NUL included; tab, newline and carriage return are kept in long text.
_CONTROL_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def check_line(value: str) -> str:
    """A title or name: one line, no control characters (NUL, escape, bell, line breaks)."""
    if _CONTROL_IN_LINE.search(value):
        raise ValueError("must be one line of text without control characters")
    return unicodedata.normalize("NFC", value)


def check_text(value: str) -> str:
    """A body of text: line breaks and tabs are fine, NUL and other control characters are not."""
    if _CONTROL_IN_TEXT.search(value):
        raise ValueError("must not contain control characters such as NUL")
    return value


def parse_id(value: str) -> int | None:
    """An id from a plain form field: a positive whole number within range, else None."""
    value = value.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 19:
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


def parse_ids(values: Iterable[object]) -> list[int]:
    """The ids among a form's repeated field (ticked boxes, picked items), each once, in order."""
    return sorted({number for value in values if isinstance(value, str) and (number := parse_id(value))})


# --- list filters from a query string: what we do not know means no filter, never an error ---------


def _id_or_none(value: object) -> int | None:
    return value if isinstance(value, int) else parse_id(str(value or ""))


def _clipped(length: int) -> BeforeValidator:
    """Text from a query string, without control characters (no stored value has them, and
    PostgreSQL refuses a NUL in a query), at most `length` characters."""
    return BeforeValidator(lambda value: _CONTROL_IN_LINE.sub("", str(value or ""))[:length])


@dataclass(frozen=True)
class Lenient:
    """A list filter read leniently (`read` turns what we do not know into "no filter"), and
    documented as what it takes: any string. The schema must not promise an integer or an enum
    while the list answers 200 to anything (schemathesis: "schema-violating request accepted")."""

    read: Callable[[Any], Any]
    description: str

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_before_validator_function(self.read, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        return {"type": "string", "description": self.description}


def known_or_none(choices: type[Enum]) -> Lenient:
    """A choice from the query string: one of `choices` by value, else None (no filter)."""
    known = [str(choice.value) for choice in choices]
    return Lenient(
        lambda value: value if value in known else None,
        f"One of: {', '.join(known)}. Any other value means no filter.",
    )


def one_of_or(choices: Iterable[str], default: str) -> Lenient:
    """A word from the query string: one of `choices`, else `default`."""
    known = list(choices)
    return Lenient(
        lambda value: value if value in known else default,
        f"One of: {', '.join(known)}. Any other value means {default or 'no filter'}.",
    )


def page_count(total: int, per_page: int) -> int:
    """How many pages `total` records fill, at least one (an empty list is one empty page)."""
    return max(-(-total // per_page), 1)


PAGING = frozenset({"page", "after", "before"})


def _cursor_or_empty(value: object) -> str:
    text = str(value or "")
    return text if _CURSOR.fullmatch(text) else ""


# At most 16 digits of microseconds (year 2286) and 18 of id (below 2**63): a longer number
# would overflow a date or the database's integer.
_CURSOR = re.compile(r"\d{1,16}\.\d{1,18}")
# A position in a list sorted newest first: the microseconds since 1970 and the id of the row a
# page ends (or starts) at. Anything else means no position (the page number counts instead).
ListCursor = Annotated[
    str,
    Lenient(
        _cursor_or_empty, "A position in the list, from a Next or Previous link. Any other value is ignored."
    ),
]


class QueryFilters(BaseModel):
    """A list's filters read from its query string (FastAPI: `Annotated[Filters, Query()]`)."""

    model_config = ConfigDict(populate_by_name=True)

    def query_string(self, **overrides: Any) -> str:
        """The filters that narrow the list, as the query string that asks for them again (no
        page nor position in the list: the pagination adds its own; no value left at its default)."""
        values = {
            field.alias or name: getattr(self, name)
            for name, field in type(self).model_fields.items()
            if name not in PAGING and getattr(self, name) != field.default
        }
        values.update(overrides)
        return urlencode({name: value for name, value in values.items() if value not in ("", None)})


FilterId = Annotated[int | None, Lenient(_id_or_none, "An id. Any other value means no filter.")]
FacetFilter = Annotated[str, _clipped(120)]
ShortFilter = Annotated[str, _clipped(50)]
LongFilter = Annotated[str, _clipped(80)]
FilterPage = Annotated[int, Field(ge=1, le=MAX_PAGE)]


# The same rules as patterns in the API's schema, so a client (and schemathesis) knows them too.
_LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
_TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
Line = Annotated[str, AfterValidator(check_line), Field(json_schema_extra={"pattern": _LINE_PATTERN})]
Text = Annotated[str, AfterValidator(check_text), Field(json_schema_extra={"pattern": _TEXT_PATTERN})]


def every_field_optional(model: type[BaseModel]) -> dict[str, Any]:
    """The model's fields for pydantic.create_model, each optional with None as its default. A
    field's checks (lengths, bounds, validators) move inside the optional type, so they apply to
    a value that is sent and never to None."""
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        annotation: Any = info.annotation
        if info.metadata:
            annotation = Annotated[(annotation, *info.metadata)]
        fields[name] = (annotation | None, None)
    return fields
