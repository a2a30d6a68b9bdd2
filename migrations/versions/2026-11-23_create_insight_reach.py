"""create insight reach

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 01:31:20.206143
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('insight_reach',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_insight_reach_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_insight_reach')),
    sa.UniqueConstraint('person_id', 'day', name='uq_insight_reach_person_day')
    )
    with op.batch_alter_table('insight_reach', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_insight_reach_day'), ['day'], unique=False)
        batch_op.create_index(batch_op.f('ix_insight_reach_person_id'), ['person_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('insight_reach', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_insight_reach_person_id'))
        batch_op.drop_index(batch_op.f('ix_insight_reach_day'))

    op.drop_table('insight_reach')
