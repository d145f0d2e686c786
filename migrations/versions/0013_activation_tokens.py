"""activation_tokens: one-time links for people who have no password yet (the first administrator)

Revision ID: 0013_activation_tokens
Revises: 0011_users_email_lower
Create Date: 2026-12-06

`flask bootstrap` creates the first administrator without a password and prints a one-time link;
only the link's SHA-256 is stored, with its expiry and the moment it was used.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_activation_tokens"
down_revision = "0011_users_email_lower"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "activation_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_activation_tokens_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activation_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_activation_tokens_token_hash")),
    )
    with op.batch_alter_table("activation_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_activation_tokens_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("activation_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activation_tokens_user_id"))
    op.drop_table("activation_tokens")
