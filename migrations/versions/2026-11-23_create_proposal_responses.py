"""create proposal responses

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 01:22:13.278819
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('proposal_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.Enum('new', 'under_review', 'accepted', 'in_progress', 'done', 'declined', 'duplicate', name='proposalstatus', native_enum=False, length=16), nullable=False),
    sa.Column('to_status', sa.Enum('new', 'under_review', 'accepted', 'in_progress', 'done', 'declined', 'duplicate', name='proposalstatus', native_enum=False, length=16), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['person.id'], name=op.f('fk_proposal_response_author_id_person')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_proposal_response_proposal_id_proposal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_response'))
    )
    with op.batch_alter_table('proposal_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_response_proposal_id'), ['proposal_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('proposal_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_response_proposal_id'))

    op.drop_table('proposal_response')
