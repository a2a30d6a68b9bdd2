"""pulse answers stored under their reporting group

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 05:30:00

- pulse_ballot / pulse_response: team_id and department_id may be empty, for answers stored only
  under the department or the company (the smallest group that can ever be shown). Both tables stay
  WITHOUT ROWID on SQLite, so their rows are still kept in the order of their random ids.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ANSWER_TABLES = ("pulse_ballot", "pulse_response")


def upgrade() -> None:
    for table in ANSWER_TABLES:
        with op.batch_alter_table(table, schema=None, table_kwargs={"sqlite_with_rowid": False}) as batch_op:
            batch_op.alter_column("team_id", existing_type=sa.Integer(), nullable=True)
            batch_op.alter_column("department_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    for table in ANSWER_TABLES:
        # Answers kept only under a department or the company have no team to go back to.
        op.execute(sa.text(f"DELETE FROM {table} WHERE team_id IS NULL OR department_id IS NULL"))
        with op.batch_alter_table(table, schema=None, table_kwargs={"sqlite_with_rowid": False}) as batch_op:
            batch_op.alter_column("department_id", existing_type=sa.Integer(), nullable=False)
            batch_op.alter_column("team_id", existing_type=sa.Integer(), nullable=False)
