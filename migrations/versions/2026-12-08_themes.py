"""theme, theme_member and theme_run: feedback grouped into themes by `portal worker`

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-08 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "theme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_theme")),
    )
    op.create_table(
        "theme_member",
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.Column("insight_id", sa.Integer(), nullable=False),
        sa.Column("closeness", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["theme_id"], ["theme.id"], name=op.f("fk_theme_member_theme_id_theme"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["insight_id"], ["insight.id"], name=op.f("fk_theme_member_insight_id_insight"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("theme_id", "insight_id", name=op.f("pk_theme_member")),
    )
    op.create_index(op.f("ix_theme_member_insight_id"), "theme_member", ["insight_id"], unique=False)
    op.create_table(
        "theme_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("feedback", sa.Integer(), nullable=False),
        sa.Column("themes", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_theme_run")),
    )


def downgrade() -> None:
    op.drop_table("theme_run")
    op.drop_index(op.f("ix_theme_member_insight_id"), table_name="theme_member")
    op.drop_table("theme_member")
    op.drop_table("theme")
