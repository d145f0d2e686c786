"""users: why and until when an account is suspended; contracts limited to some centers

Revision ID: 0015_user_suspension
Revises: 0014_account_links
Create Date: 2026-12-06

The admin console suspends an account with a reason and an optional end; both are shown on the
user's page next to the audit trail of who suspended it. A contract may list the centers of its
operator it covers (contract_centers); a contract listing none covers every center of the operator.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_user_suspension"
down_revision = "0014_account_links"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("suspended_reason", sa.String(length=200), nullable=True))
    op.add_column("users", sa.Column("suspended_until", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "contract_centers",
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("center_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["center_id"], ["centers.id"], name=op.f("fk_contract_centers_center_id_centers"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["contract_id"], ["contracts.id"],
                                name=op.f("fk_contract_centers_contract_id_contracts"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("contract_id", "center_id", name=op.f("pk_contract_centers")),
    )
    op.create_index(op.f("ix_contract_centers_center_id"), "contract_centers", ["center_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_contract_centers_center_id"), table_name="contract_centers")
    op.drop_table("contract_centers")
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy of users would lose the lower(email) expression index.
    op.drop_column("users", "suspended_until")
    op.drop_column("users", "suspended_reason")
