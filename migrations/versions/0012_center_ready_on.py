"""centers: ready_on, the day a planner marked a not-yet-open center ready to open

Revision ID: 0012_center_ready_on
Revises: 0011_users_email_lower
Create Date: 2026-12-06

The hourly center-lifecycle job opened every planned center whose planned date had passed and
that had spaces and hours, which the demo's 58 slipping centers all have: a center now opens on
its date only after a planner marks it ready (issue 16).
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_center_ready_on"
down_revision = "0011_users_email_lower"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("centers") as batch:
        batch.add_column(sa.Column("ready_on", sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table("centers") as batch:
        batch.drop_column("ready_on")
