"""outbox: every e-mail is a row written with its cause and delivered by the deliver_mail job

Revision ID: 0013_outbox
Revises: 0012_center_ready_on
Create Date: 2026-12-06

Notifications point at their mail (outbox_id) so the job can record when it was sent.
"""
import warnings
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0013_outbox"
down_revision = "0012_center_ready_on"
branch_labels = None
depends_on = None


@contextmanager
def _quiet():
    """SQLite's batch copy of notifications reflects users, whose lower(email) index SQLAlchemy cannot
    reflect and says so; that index is not touched (only notifications is rebuilt)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection of expression-based index")
        yield


def upgrade():
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("render_with", sa.String(length=40), nullable=True),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=40), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'dead')", name=op.f("ck_outbox_messages_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_messages_status_next", ["status", "next_attempt_at"], unique=False)

    with _quiet(), op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outbox_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_notifications_outbox_id"), ["outbox_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_notifications_outbox_id_outbox_messages"), "outbox_messages",
                                    ["outbox_id"], ["id"], ondelete="SET NULL")


def downgrade():
    with _quiet(), op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_notifications_outbox_id_outbox_messages"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_notifications_outbox_id"))
        batch_op.drop_column("outbox_id")

    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_messages_status_next")
    op.drop_table("outbox_messages")
