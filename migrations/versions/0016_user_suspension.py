"""users: why and until when an account is suspended

Revision ID: 0016_user_suspension
Revises: 0011_users_email_lower
Create Date: 2026-12-06

The admin console suspends an account with a reason and an optional end; both are shown on the
user's page next to the audit trail of who suspended it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_user_suspension"
down_revision = "0011_users_email_lower"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("suspended_reason", sa.String(length=200), nullable=True))
    op.add_column("users", sa.Column("suspended_until", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy of users would lose the lower(email) expression index.
    op.drop_column("users", "suspended_until")
    op.drop_column("users", "suspended_reason")
