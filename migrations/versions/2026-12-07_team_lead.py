"""team.lead_id: a team's lead, named by an admin

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("team") as batch:
        batch.add_column(sa.Column("lead_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_team_lead_id_person"), "person", ["lead_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("team") as batch:
        batch.drop_constraint(op.f("fk_team_lead_id_person"), type_="foreignkey")
        batch.drop_column("lead_id")
