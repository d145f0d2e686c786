"""planning: rollout targets, center status changes, search misses

Revision ID: 0004_planning
Revises: 0003_jobs
Create Date: 2026-11-29 07:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_planning'
down_revision = '0003_jobs'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rollout_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('target_on', sa.Date(), nullable=False),
    sa.Column('ownership', sa.Enum('public', 'private', name='rollout_ownership', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('centers', sa.Integer(), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('centers >= 0', name=op.f('ck_rollout_targets_centers_not_negative')),
    sa.CheckConstraint('seats >= 0', name=op.f('ck_rollout_targets_seats_not_negative')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_rollout_targets_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rollout_targets')),
    sa.UniqueConstraint('target_on', 'ownership', name='uq_rollout_targets_target_on_ownership')
    )
    op.create_table('center_status_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('center_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.Enum('planned', 'under_construction', 'open', 'suspended', 'closed', name='change_from_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('to_status', sa.Enum('planned', 'under_construction', 'open', 'suspended', 'closed', name='change_to_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['center_id'], ['centers.id'], name=op.f('fk_center_status_changes_center_id_centers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_center_status_changes_changed_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_center_status_changes'))
    )
    with op.batch_alter_table('center_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_center_status_changes_center_id'), ['center_id'], unique=False)

    op.create_table('search_misses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('region_id', sa.Integer(), nullable=True),
    sa.Column('origin_lat', sa.Float(), nullable=True),
    sa.Column('origin_lon', sa.Float(), nullable=True),
    sa.Column('center_id', sa.Integer(), nullable=True),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('space_kind', sa.Enum('desk', 'booth', 'meeting_room', 'video_room', name='search_miss_space_kind', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['center_id'], ['centers.id'], name=op.f('fk_search_misses_center_id_centers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_search_misses_region_id_regions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_search_misses_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_misses'))
    )
    with op.batch_alter_table('search_misses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_misses_center_id'), ['center_id'], unique=False)
        batch_op.create_index('ix_search_misses_created_at', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_misses_region_id'), ['region_id'], unique=False)


def downgrade():
    with op.batch_alter_table('search_misses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_misses_region_id'))
        batch_op.drop_index('ix_search_misses_created_at')
        batch_op.drop_index(batch_op.f('ix_search_misses_center_id'))

    op.drop_table('search_misses')
    with op.batch_alter_table('center_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_center_status_changes_center_id'))

    op.drop_table('center_status_changes')
    op.drop_table('rollout_targets')
