"""Running Alembic from the app (portal db upgrade) and checking the schema is current."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.core.db import get_engine

ROOT = Path(__file__).resolve().parents[2]


def alembic_config() -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["configure_logger"] = False
    return config


def upgrade(revision: str = "head") -> None:
    command.upgrade(alembic_config(), revision)


def pending() -> tuple[str | None, str | None]:
    """(current revision, head revision); equal when the database is up to date."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with get_engine().connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, head


# Tables of the PostgreSQL search backend: created in SQL by migration 0011, not modelled in Python,
# so comparing the models with the database leaves them out.
UNMODELLED = ("search_document", "search_word")


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    table = getattr(obj, "table", None)
    table_name = name if type_ == "table" else getattr(table, "name", None)
    return table_name not in UNMODELLED
