"""pulse_schedule and pulse_action; pulse_round.schedule_id and its reminder days: the pulse cycle
(rounds on a schedule, reminders, actions)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-08 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pulse_schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("cadence", sa.String(length=10), nullable=False),
        sa.Column("team_ids", sa.JSON(), nullable=False),
        sa.Column("open_days", sa.Integer(), nullable=False),
        sa.Column("free_text", sa.Boolean(), nullable=False),
        sa.Column("next_opens_on", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_problem", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["person.id"], name=op.f("fk_pulse_schedule_created_by_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pulse_schedule")),
    )
    with op.batch_alter_table("pulse_round") as batch:
        batch.add_column(sa.Column("schedule_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reminded_halfway_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("reminded_last_day_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index(batch.f("ix_pulse_round_schedule_id"), ["schedule_id"], unique=False)
        batch.create_foreign_key(
            batch.f("fk_pulse_round_schedule_id_pulse_schedule"), "pulse_schedule", ["schedule_id"], ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "pulse_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("quality", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"], ["pulse_round.id"], name=op.f("fk_pulse_action_round_id_pulse_round"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_pulse_action_team_id_team"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["person.id"], name=op.f("fk_pulse_action_created_by_id_person"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_pulse_action_proposal_id_proposal"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pulse_action")),
    )
    op.create_index(op.f("ix_pulse_action_round_id"), "pulse_action", ["round_id"], unique=False)
    op.create_index(op.f("ix_pulse_action_team_id"), "pulse_action", ["team_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_pulse_action_team_id"), table_name="pulse_action")
    op.drop_index(op.f("ix_pulse_action_round_id"), table_name="pulse_action")
    op.drop_table("pulse_action")
    with op.batch_alter_table("pulse_round") as batch:
        batch.drop_constraint(batch.f("fk_pulse_round_schedule_id_pulse_schedule"), type_="foreignkey")
        batch.drop_index(batch.f("ix_pulse_round_schedule_id"))
        batch.drop_column("reminded_last_day_at")
        batch.drop_column("reminded_halfway_at")
        batch.drop_column("schedule_id")
    op.drop_table("pulse_schedule")
