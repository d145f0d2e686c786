"""bookings: bookings, series, waitlist, notifications, calendar feeds

Revision ID: 0002_bookings
Revises: 0001_foundation
Create Date: 2026-11-29 07:12:58.588895

The overlap guards (DESIGN §5) are part of the schema: on PostgreSQL two exclusion
constraints over tstzrange (needs btree_gist), on SQLite two triggers.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0002_bookings'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None

LIVE = "status IN ('reserved', 'checked_in')"


def _trigger(name, timing, exclude_self):
    checks = []
    for column, message in (("space_id", "booking_overlap_space"), ("user_id", "booking_overlap_user")):
        checks.append(
            f"SELECT RAISE(ABORT, '{message}') WHERE EXISTS (SELECT 1 FROM bookings AS b "
            f"WHERE b.{column} = NEW.{column} AND b.status IN ('reserved', 'checked_in') "
            f"AND b.starts_at < NEW.ends_at AND NEW.starts_at < b.ends_at{exclude_self});"
        )
    return (
        f"CREATE TRIGGER IF NOT EXISTS {name} {timing} ON bookings "
        f"FOR EACH ROW WHEN NEW.status IN ('reserved', 'checked_in') BEGIN {' '.join(checks)} END"
    )


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table('calendar_feeds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_feeds_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feeds')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feeds_token_hash'))
    )
    with op.batch_alter_table('calendar_feeds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_feeds_user_id'), ['user_id'], unique=False)

    op.create_table('booking_series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('weekdays', sa.JSON(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('attendees', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('active', 'cancelled', 'finished', name='series_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('booked_through', sa.Date(), nullable=True),
    sa.Column('booked_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('first_day <= last_day', name=op.f('ck_booking_series_ordered_days')),
    sa.CheckConstraint('start_time < end_time', name=op.f('ck_booking_series_ordered_times')),
    sa.ForeignKeyConstraint(['booked_by_id'], ['users.id'], name=op.f('fk_booking_series_booked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_booking_series_space_id_spaces'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_booking_series_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_series'))
    )
    with op.batch_alter_table('booking_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_series_space_id'), ['space_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_series_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_series_user_id'), ['user_id'], unique=False)

    op.create_table('bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=False),
    sa.Column('center_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('reserved', 'checked_in', 'completed', 'cancelled', 'released', name='booking_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('attendees', sa.Integer(), nullable=True),
    sa.Column('series_id', sa.Integer(), nullable=True),
    sa.Column('booked_by_id', sa.Integer(), nullable=True),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checked_out_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminder_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('attendees IS NULL OR attendees >= 1', name=op.f('ck_bookings_attendees_positive')),
    sa.CheckConstraint('starts_at < ends_at', name=op.f('ck_bookings_ordered_times')),
    sa.ForeignKeyConstraint(['booked_by_id'], ['users.id'], name=op.f('fk_bookings_booked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['center_id'], ['centers.id'], name=op.f('fk_bookings_center_id_centers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['series_id'], ['booking_series.id'], name=op.f('fk_bookings_series_id_booking_series'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_bookings_space_id_spaces'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_bookings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings'))
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_center_starts', ['center_id', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_bookings_series_id'), ['series_id'], unique=False)
        batch_op.create_index('ix_bookings_space_starts', ['space_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_bookings_status_starts', ['status', 'starts_at'], unique=False)
        batch_op.create_index('ix_bookings_user_starts', ['user_id', 'starts_at'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('booking_confirmed', 'booking_cancelled', 'booking_released', 'waitlist_won', 'reminder', 'center_closed', name='notification_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_notifications_booking_id_bookings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index('ix_notifications_user_created', ['user_id', 'created_at'], unique=False)

    op.create_table('waitlist_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('center_id', sa.Integer(), nullable=False),
    sa.Column('space_kind', sa.Enum('desk', 'booth', 'meeting_room', 'video_room', name='waitlist_space_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attendees', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('waiting', 'fulfilled', 'expired', 'cancelled', name='waitlist_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('starts_at < ends_at', name=op.f('ck_waitlist_entries_ordered_times')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_waitlist_entries_booking_id_bookings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['center_id'], ['centers.id'], name=op.f('fk_waitlist_entries_center_id_centers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_waitlist_entries_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waitlist_entries'))
    )
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.create_index('ix_waitlist_entries_center_status', ['center_id', 'status', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_waitlist_entries_user_id'), ['user_id'], unique=False)

    if dialect == "postgresql":
        for column in ("space_id", "user_id"):
            op.execute(
                f"ALTER TABLE bookings ADD CONSTRAINT ex_bookings_{column.split('_')[0]}_overlap "
                f"EXCLUDE USING gist ({column} WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&) "
                f"WHERE ({LIVE})"
            )
    if dialect == "sqlite":
        op.execute(_trigger("bookings_no_overlap_insert", "BEFORE INSERT", ""))
        op.execute(_trigger(
            "bookings_no_overlap_update",
            "BEFORE UPDATE OF space_id, user_id, starts_at, ends_at, status",
            " AND b.id <> NEW.id",
        ))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS bookings_no_overlap_update")
        op.execute("DROP TRIGGER IF EXISTS bookings_no_overlap_insert")
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_waitlist_entries_user_id'))
        batch_op.drop_index('ix_waitlist_entries_center_status')
    op.drop_table('waitlist_entries')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_created')
        batch_op.drop_index(batch_op.f('ix_notifications_booking_id'))
    op.drop_table('notifications')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_user_starts')
        batch_op.drop_index('ix_bookings_status_starts')
        batch_op.drop_index('ix_bookings_space_starts')
        batch_op.drop_index(batch_op.f('ix_bookings_series_id'))
        batch_op.drop_index('ix_bookings_center_starts')
    op.drop_table('bookings')
    with op.batch_alter_table('booking_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_series_user_id'))
        batch_op.drop_index(batch_op.f('ix_booking_series_status'))
        batch_op.drop_index(batch_op.f('ix_booking_series_space_id'))
    op.drop_table('booking_series')
    with op.batch_alter_table('calendar_feeds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_feeds_user_id'))
    op.drop_table('calendar_feeds')
    # btree_gist stays installed: other schemas may use it.
