"""integration_channel and integration_delivery: the portal's events in webhooks, Slack and Teams;
notification.emailed_at for e-mail sent at once; proposal.leaders_reminded_at and escalated_at

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 23:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.add_column(sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("proposal") as batch:
        batch.add_column(sa.Column("leaders_reminded_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "integration_channel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("url_sealed", sa.String(length=4000), nullable=False),
        sa.Column("url_shown", sa.String(length=200), nullable=False),
        sa.Column("secret_sealed", sa.String(length=500), nullable=True),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_reason", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"], ["department.id"], name=op.f("fk_integration_channel_department_id_department"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["person.id"], name=op.f("fk_integration_channel_created_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_channel")),
    )
    op.create_table(
        "integration_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("message_id", sa.String(length=40), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["integration_channel.id"],
            name=op.f("fk_integration_delivery_channel_id_integration_channel"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_delivery")),
    )
    op.create_index(op.f("ix_integration_delivery_channel_id"), "integration_delivery", ["channel_id"])
    op.create_index(
        "ix_integration_delivery_status_due", "integration_delivery", ["status", "next_attempt_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_integration_delivery_status_due", table_name="integration_delivery")
    op.drop_index(op.f("ix_integration_delivery_channel_id"), table_name="integration_delivery")
    op.drop_table("integration_delivery")
    op.drop_table("integration_channel")
    with op.batch_alter_table("proposal") as batch:
        batch.drop_column("escalated_at")
        batch.drop_column("leaders_reminded_at")
    with op.batch_alter_table("notification") as batch:
        batch.drop_column("emailed_at")
