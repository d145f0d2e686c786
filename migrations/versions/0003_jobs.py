"""jobs: job runs, the scheduler lease, hourly occupancy

Revision ID: 0003_jobs
Revises: 0002_bookings
Create Date: 2026-11-29 07:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_jobs'
down_revision = '0002_bookings'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=60), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('as_of', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('rows_touched', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs'))
    )
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.create_index('ix_job_runs_job_started', ['job', 'started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_runs_started_at'), ['started_at'], unique=False)

    op.create_table('scheduler_leases',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=False),
    sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_leases'))
    )
    op.create_table('occupancy_hourly',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('center_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('hour', sa.SmallInteger(), nullable=False),
    sa.Column('bookable_minutes', sa.Integer(), nullable=False),
    sa.Column('booked_minutes', sa.Integer(), nullable=False),
    sa.Column('checked_in_minutes', sa.Integer(), nullable=False),
    sa.Column('no_shows', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('hour BETWEEN 0 AND 23', name=op.f('ck_occupancy_hourly_hour_range')),
    sa.ForeignKeyConstraint(['center_id'], ['centers.id'], name=op.f('fk_occupancy_hourly_center_id_centers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_occupancy_hourly')),
    sa.UniqueConstraint('center_id', 'day', 'hour', name='uq_occupancy_hourly_center_day_hour')
    )
    with op.batch_alter_table('occupancy_hourly', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_occupancy_hourly_day'), ['day'], unique=False)


def downgrade():
    with op.batch_alter_table('occupancy_hourly', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_occupancy_hourly_day'))

    op.drop_table('occupancy_hourly')
    op.drop_table('scheduler_leases')
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_runs_started_at'))
        batch_op.drop_index('ix_job_runs_job_started')

    op.drop_table('job_runs')
