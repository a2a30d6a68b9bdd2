"""api_token.scope and api_token.expires_at: what a token may do, and until when

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 12:10:00

Tokens made before this keep working as they did: scope "admin" (everything their person may do)
and no expiry. Tokens of people deactivated before this are revoked now, so that reactivating them
does not bring their tokens back.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_token") as batch:
        batch.add_column(sa.Column("scope", sa.String(length=10), nullable=False, server_default="admin"))
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE api_token SET revoked_at = CURRENT_TIMESTAMP WHERE revoked_at IS NULL "
        "AND person_id IN (SELECT id FROM person WHERE NOT is_active)"
    )


def downgrade() -> None:
    with op.batch_alter_table("api_token") as batch:
        batch.drop_column("expires_at")
        batch.drop_column("scope")
