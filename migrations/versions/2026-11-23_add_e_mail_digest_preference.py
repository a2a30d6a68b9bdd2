"""add e-mail digest preference

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 01:16:12.313393
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        # Existing people get 'off': an upgrade keeps every row and sends nobody mail unasked.
        batch_op.add_column(sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False,
                                      server_default='off'))
        batch_op.add_column(sa.Column('last_digest_at', sa.DateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('last_digest_at')
        batch_op.drop_column('digest')

