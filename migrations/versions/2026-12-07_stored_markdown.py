"""stored markdown: a `rendered` column on insight, proposal, proposal_response and comment

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 17:30:00

The HTML of each record's Markdown fields, made when the record is written (app/core/db.py), so a
page shows it without rendering. Existing rows start empty and are rendered when shown (as before)
until they are next written; the importer's bulk rows too.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("insight", "proposal", "proposal_response", "comment")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("rendered", sa.Text(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("rendered")
