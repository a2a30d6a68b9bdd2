"""event outbox: `outbox_event` for work that follows a change; attempts and errors of search rows

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 20:00:00

`outbox_event` holds events written in a change's own transaction and handled by `portal worker`
(app/core/outbox.py), with each attempt and the last error. The search outbox gains `last_error`,
so a batch that fails to index says why (its `attempts` now count).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_event")),
    )
    op.create_index(op.f("ix_outbox_event_topic"), "outbox_event", ["topic"], unique=False)
    op.create_index(
        "ix_outbox_event_status_due", "outbox_event", ["status", "next_attempt_at", "id"], unique=False
    )
    with op.batch_alter_table("search_outbox") as batch:
        batch.add_column(sa.Column("last_error", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("search_outbox") as batch:
        batch.drop_column("last_error")
    op.drop_index("ix_outbox_event_status_due", table_name="outbox_event")
    op.drop_index(op.f("ix_outbox_event_topic"), table_name="outbox_event")
    op.drop_table("outbox_event")
