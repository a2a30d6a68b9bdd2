"""create the PostgreSQL search backend's tables (PostgreSQL only)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 14:20:00

The index of PORTAL_SEARCH_BACKEND=postgres lives in the database: a weighted tsvector per record
with a GIN index, and the words seen, with a trigram index for "did you mean". On SQLite there is
nothing to create (the Whoosh index is a folder). pg_trgm needs a role allowed to create
extensions; without it the tables are created, and the backend reports the missing extension.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        pass  # reported by the backend's status, with what to do
    op.execute(
        """
        CREATE TABLE search_document (
            doc_id varchar(64) PRIMARY KEY,
            type varchar(16) NOT NULL,
            entity_id bigint NOT NULL,
            kind varchar(32) NOT NULL DEFAULT '',
            department varchar(120) NOT NULL DEFAULT '',
            product_area varchar(120) NOT NULL DEFAULT '',
            sentiment varchar(16) NOT NULL DEFAULT '',
            status varchar(16) NOT NULL DEFAULT '',
            tags text[] NOT NULL DEFAULT '{}',
            created bigint NOT NULL DEFAULT 0,
            support integer NOT NULL DEFAULT 0,
            key bigint NOT NULL DEFAULT 0,
            vector tsvector NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX ix_search_document_vector ON search_document USING gin (vector)")
    op.execute("CREATE INDEX ix_search_document_created ON search_document (created DESC, key DESC)")
    op.execute("CREATE INDEX ix_search_document_tags ON search_document USING gin (tags)")
    op.execute("CREATE TABLE search_word (word varchar(100) PRIMARY KEY)")
    has_trgm = bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first()
    if has_trgm:
        op.execute("CREATE INDEX ix_search_word_trgm ON search_word USING gin (word gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TABLE IF EXISTS search_word")
    op.execute("DROP TABLE IF EXISTS search_document")
