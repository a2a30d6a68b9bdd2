"""create proposal outcomes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 01:28:27.938258
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('proposal_outcome',
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_proposal_outcome_proposal_id_proposal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['story_id'], ['insight.id'], name=op.f('fk_proposal_outcome_story_id_insight'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('proposal_id', 'story_id', name=op.f('pk_proposal_outcome'))
    )
    with op.batch_alter_table('proposal_outcome', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_outcome_story_id'), ['story_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('proposal_outcome', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_outcome_story_id'))

    op.drop_table('proposal_outcome')
