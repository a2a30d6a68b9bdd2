"""SCIM provisioning: scim_token, and what the company directory says of people and teams

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 23:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scim_token",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(op.f("ix_scim_token_token_hash"), "scim_token", ["token_hash"], unique=True)
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("directory_user_name", sa.String(length=254), nullable=True))
        batch.add_column(sa.Column("external_id", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("directory", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("removed_from_directory_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index(op.f("ix_person_directory_user_name"), ["directory_user_name"])
    with op.batch_alter_table("team") as batch:
        batch.add_column(sa.Column("external_id", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("removed_from_directory_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("team") as batch:
        batch.drop_column("removed_from_directory_at")
        batch.drop_column("external_id")
    with op.batch_alter_table("person") as batch:
        batch.drop_index(op.f("ix_person_directory_user_name"))
        batch.drop_column("removed_from_directory_at")
        batch.drop_column("directory")
        batch.drop_column("external_id")
        batch.drop_column("directory_user_name")
    op.drop_index(op.f("ix_scim_token_token_hash"), table_name="scim_token")
    op.drop_table("scim_token")
