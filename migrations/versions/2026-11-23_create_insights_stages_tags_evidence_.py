"""create insights, stages, tags, evidence, credits, attachments

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 00:06:49.969297
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('tag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tag'))
    )
    with op.batch_alter_table('tag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tag_name'), ['name'], unique=True)

    op.create_table('insight',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('feedback', 'pain_point', 'journey_map', 'success_story', 'persona', name='kind', native_enum=False, length=16), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('product_area', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('segment', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('published', 'archived', name='status', native_enum=False, length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('quote', sa.Text(), nullable=False),
    sa.Column('channel', sa.Enum('survey', 'support_ticket', 'interview', 'review', 'social', 'sales_call', 'other', name='channel', native_enum=False, length=16), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('score_scale', sa.Enum('nps', 'rating', name='scorescale', native_enum=False, length=16), nullable=True),
    sa.Column('sentiment', sa.Enum('negative', 'neutral', 'positive', name='sentiment', native_enum=False, length=16), nullable=True),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('received_at', sa.Date(), nullable=True),
    sa.Column('severity', sa.Integer(), nullable=True),
    sa.Column('customers_affected', sa.Integer(), nullable=True),
    sa.Column('journey_stage_id', sa.Integer(), nullable=True),
    sa.Column('persona', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('goals', sa.Text(), nullable=False),
    sa.Column('frustrations', sa.Text(), nullable=False),
    sa.Column('quotes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['person.id'], name=op.f('fk_insight_author_id_person')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_insight_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_insight')),
    sa.UniqueConstraint('channel', 'external_id', name='uq_insight_channel_external_id')
    )
    with op.batch_alter_table('insight', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_insight_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_insight_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_insight_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_insight_journey_stage_id'), ['journey_stage_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_insight_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_insight_product_area'), ['product_area'], unique=False)
        batch_op.create_index(batch_op.f('ix_insight_segment'), ['segment'], unique=False)
        batch_op.create_index(batch_op.f('ix_insight_sentiment'), ['sentiment'], unique=False)
        batch_op.create_index(batch_op.f('ix_insight_status'), ['status'], unique=False)

    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('insight_id', sa.Integer(), nullable=False),
    sa.Column('uploader_id', sa.Integer(), nullable=False),
    sa.Column('original_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('stored_name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['insight_id'], ['insight.id'], name=op.f('fk_attachment_insight_id_insight'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploader_id'], ['person.id'], name=op.f('fk_attachment_uploader_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_attachment_stored_name'))
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_insight_id'), ['insight_id'], unique=False)

    op.create_table('credited_team',
    sa.Column('insight_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['insight_id'], ['insight.id'], name=op.f('fk_credited_team_insight_id_insight'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_credited_team_team_id_team'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('insight_id', 'team_id', name=op.f('pk_credited_team'))
    )
    with op.batch_alter_table('credited_team', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credited_team_team_id'), ['team_id'], unique=False)

    op.create_table('evidence',
    sa.Column('pain_point_id', sa.Integer(), nullable=False),
    sa.Column('feedback_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['feedback_id'], ['insight.id'], name=op.f('fk_evidence_feedback_id_insight'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pain_point_id'], ['insight.id'], name=op.f('fk_evidence_pain_point_id_insight'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pain_point_id', 'feedback_id', name=op.f('pk_evidence'))
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_feedback_id'), ['feedback_id'], unique=False)

    op.create_table('insight_tag',
    sa.Column('insight_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['insight_id'], ['insight.id'], name=op.f('fk_insight_tag_insight_id_insight'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['tag.id'], name=op.f('fk_insight_tag_tag_id_tag'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('insight_id', 'tag_id', name=op.f('pk_insight_tag'))
    )
    with op.batch_alter_table('insight_tag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_insight_tag_tag_id'), ['tag_id'], unique=False)

    op.create_table('journey_stage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('goal', sa.Text(), nullable=False),
    sa.Column('actions', sa.Text(), nullable=False),
    sa.Column('touchpoints', sa.Text(), nullable=False),
    sa.Column('thoughts', sa.Text(), nullable=False),
    sa.Column('emotion', sa.Integer(), nullable=False),
    sa.Column('opportunities', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['journey_id'], ['insight.id'], name=op.f('fk_journey_stage_journey_id_insight'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_stage'))
    )
    with op.batch_alter_table('journey_stage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journey_stage_journey_id'), ['journey_id'], unique=False)
    # Pain points point at journey stages, and stages belong to insights: add this key last.
    with op.batch_alter_table('insight', schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f('fk_insight_journey_stage_id_journey_stage'), 'journey_stage', ['journey_stage_id'], ['id'],
            ondelete='SET NULL',
        )



def downgrade() -> None:
    with op.batch_alter_table('insight', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_insight_journey_stage_id_journey_stage'), type_='foreignkey')
    with op.batch_alter_table('journey_stage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journey_stage_journey_id'))

    op.drop_table('journey_stage')
    with op.batch_alter_table('insight_tag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_insight_tag_tag_id'))

    op.drop_table('insight_tag')
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_feedback_id'))

    op.drop_table('evidence')
    with op.batch_alter_table('credited_team', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credited_team_team_id'))

    op.drop_table('credited_team')
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_insight_id'))

    op.drop_table('attachment')
    with op.batch_alter_table('insight', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_insight_status'))
        batch_op.drop_index(batch_op.f('ix_insight_sentiment'))
        batch_op.drop_index(batch_op.f('ix_insight_segment'))
        batch_op.drop_index(batch_op.f('ix_insight_product_area'))
        batch_op.drop_index(batch_op.f('ix_insight_kind'))
        batch_op.drop_index(batch_op.f('ix_insight_journey_stage_id'))
        batch_op.drop_index(batch_op.f('ix_insight_department_id'))
        batch_op.drop_index(batch_op.f('ix_insight_created_at'))
        batch_op.drop_index(batch_op.f('ix_insight_author_id'))

    op.drop_table('insight')
    with op.batch_alter_table('tag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tag_name'))

    op.drop_table('tag')
