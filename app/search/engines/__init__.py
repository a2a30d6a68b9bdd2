"""The search engines, one module each, and the table that names them.

PORTAL_SEARCH_BACKEND picks a line of `ENGINES`; the settings validate against it (app/core/config.py).
An engine's module is imported only when it is chosen, so tantivy or PostgreSQL code is never loaded
where it is not used. A new engine is one module here that implements
`app.search.types.SearchBackend`, one line in this table, its name in the backend tests' list
(tests/search/test_backend.py) and a row in README "Search".
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:  # only for the type: the settings read this table, and import nothing else here
    from app.search.types import SearchBackend


@dataclass(frozen=True)
class Engine:
    name: str  # the value of PORTAL_SEARCH_BACKEND
    module: str  # the module under app/search/engines/ that holds `backend_class`
    backend_class: str
    folder: str | None  # its index folder under PORTAL_DATA_DIR; None: the index lives in the database
    needs_postgres: bool = False  # the index is tables in the portal's own PostgreSQL database

    def backend_type(self) -> type[SearchBackend]:
        module = importlib.import_module(f"app.search.engines.{self.module}")
        return cast("type[SearchBackend]", getattr(module, self.backend_class))

    def open(self, data_dir: Path) -> SearchBackend:
        """A new backend of this engine, over its folder under `data_dir` if it keeps one."""
        backend_type: Any = self.backend_type()
        return cast(
            "SearchBackend", backend_type() if self.folder is None else backend_type(data_dir / self.folder)
        )


ENGINES: dict[str, Engine] = {
    engine.name: engine
    for engine in (
        Engine("whoosh", "whoosh", "WhooshBackend", folder="search_index"),
        Engine("tantivy", "tantivy", "TantivyBackend", folder="tantivy_index"),
        Engine("postgres", "postgres", "PostgresBackend", folder=None, needs_postgres=True),
    )
}


def configured() -> Engine:
    """The engine PORTAL_SEARCH_BACKEND names (the settings have checked that it is in the table)."""
    from app.core.config import get_settings  # here, not above: the settings import this table

    return ENGINES[get_settings().search_backend]
