"""auth: e-mailed account links (activation, reset), known devices, growing lockouts

Revision ID: 0014_account_links
Revises: 0013_outbox
Create Date: 2026-12-06

account_tokens holds the SHA-256 of each single-use activation / password-reset link;
known_devices the SHA-256 of each browser's "signed in here before" cookie, with its own
failure counter; users.lockouts counts lockouts in a row so each lasts longer than the last.
"""
from alembic import op
import sqlalchemy as sa


revision = '0014_account_links'
down_revision = "0013_outbox"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('account_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Enum('activation', 'password_reset', name='token_purpose', native_enum=False, create_constraint=True, length=14), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_account_tokens_token_hash'))
    )
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('known_devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_known_devices_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_known_devices')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_known_devices_token_hash'))
    )
    with op.batch_alter_table('known_devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_known_devices_user_id'), ['user_id'], unique=False)

    # Plain ALTER TABLE (no batch copy): SQLite adds and drops a column in place, and a batch copy
    # of users would reflect, and lose, the lower(email) expression index.
    op.add_column('users', sa.Column('lockouts', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    op.drop_column('users', 'lockouts')

    with op.batch_alter_table('known_devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_known_devices_user_id'))
    op.drop_table('known_devices')

    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_tokens_user_id'))
    op.drop_table('account_tokens')
