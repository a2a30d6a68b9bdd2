"""person.manager_id: a person's manager, from the company's directory

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 21:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("manager_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_person_manager_id_person"), "person", ["manager_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.drop_constraint(op.f("fk_person_manager_id_person"), type_="foreignkey")
        batch.drop_column("manager_id")
