"""operations: change log and kiosk tokens for the center manager console

Revision ID: 0005_operations
Revises: 0004_planning
Create Date: 2026-11-29 07:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_operations'
down_revision = '0004_planning'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('change_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('center_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('target', sa.String(length=80), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_change_log_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['center_id'], ['centers.id'], name=op.f('fk_change_log_center_id_centers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_log'))
    )
    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.create_index('ix_change_log_center_created', ['center_id', 'created_at'], unique=False)

    op.create_table('kiosk_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('center_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['center_id'], ['centers.id'], name=op.f('fk_kiosk_tokens_center_id_centers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_kiosk_tokens_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kiosk_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_kiosk_tokens_token_hash'))
    )
    with op.batch_alter_table('kiosk_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kiosk_tokens_center_id'), ['center_id'], unique=False)


def downgrade():
    with op.batch_alter_table('kiosk_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kiosk_tokens_center_id'))

    op.drop_table('kiosk_tokens')
    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.drop_index('ix_change_log_center_created')

    op.drop_table('change_log')
