"""insight.content_key: recognise feedback imported again without a reference column

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 06:30:00

Earlier imported feedback without a reference gets its key here, computed as
`app.insights.bulk.content_key` does (written out again on purpose: a migration must not change
when the code does).
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000


def _key(channel: str, quote: str, received: object) -> str:
    words = " ".join(quote.split()).casefold()
    day = received.date().isoformat() if hasattr(received, "date") else str(received or "")[:10]
    return hashlib.sha1(f"{channel}\x1f{day}\x1f{words}".encode(), usedforsecurity=False).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("insight", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_key", sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f("ix_insight_content_key"), ["content_key"], unique=False)
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT id, channel, quote, received_at FROM insight "
            "WHERE kind = 'feedback' AND external_id IS NULL AND channel IS NOT NULL"
        )
    ).all()
    update = sa.text("UPDATE insight SET content_key = :key WHERE id = :id")
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        connection.execute(update, [{"id": r[0], "key": _key(r[1], r[2] or "", r[3])} for r in batch])


def downgrade() -> None:
    with op.batch_alter_table("insight", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_insight_content_key"))
        batch_op.drop_column("content_key")
