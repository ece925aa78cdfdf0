"""sex (self-declared), e-mail, duty stations as a managed list, reminders

Existing free-text duty stations become list entries, one per distinct name (compared without
case and surrounding spaces; the first spelling found is kept). A kind is taken from the name only
when it says it ("airport", "seaport", "land port"); otherwise the kind is "not_set", never a guess
such as "inland office": a report by kind must not count an unclassified port as an inland office.
The administrator sets the real kinds in Administration > Duty stations.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 21:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

KINDS = ('seaport', 'airport', 'land_port', 'inland_office', 'not_set')


def kind_from_name(name: str) -> str:
    lowered = ' '.join(name.lower().replace('-', ' ').split())
    if 'airport' in lowered:
        return 'airport'
    if 'seaport' in lowered or 'sea port' in lowered:
        return 'seaport'
    if 'land port' in lowered:
        return 'land_port'
    return 'not_set'


def upgrade() -> None:
    stations = op.create_table(
        'duty_stations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name_en', sa.String(length=120), nullable=False),
        sa.Column('name_ar', sa.String(length=120), nullable=False),
        sa.Column('kind', sa.Enum(*KINDS, name='station_kind', native_enum=False, create_constraint=True,
                                  length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_duty_stations')),
        sa.UniqueConstraint('name_en', name=op.f('uq_duty_stations_name_en')),
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duty_station_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sex', sa.Enum('female', 'male', 'prefer_not_to_say', name='sex',
                                                     native_enum=False, create_constraint=True, length=20),
                                      nullable=True))
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_duty_station_id'), ['duty_station_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_duty_station_id_duty_stations'), 'duty_stations',
                                    ['duty_station_id'], ['id'])

    connection = op.get_bind()
    users = sa.table('users', sa.column('id', sa.Integer()), sa.column('duty_station', sa.String()),
                     sa.column('duty_station_id', sa.Integer()))
    now = sa.func.current_timestamp()
    ids: dict[str, int] = {}
    rows = connection.execute(sa.select(users.c.id, users.c.duty_station)
                              .where(users.c.duty_station.is_not(None)).order_by(users.c.id)).all()
    for user_id, text in rows:
        name = ' '.join(text.split())
        if not name:
            continue
        key = name.lower()
        if key not in ids:
            connection.execute(sa.insert(stations).values(name_en=name[:120], name_ar='',
                                                          kind=kind_from_name(name), created_at=now))
            ids[key] = connection.execute(sa.select(stations.c.id).where(stations.c.name_en == name[:120])).scalar_one()
        connection.execute(sa.update(users).where(users.c.id == user_id).values(duty_station_id=ids[key]))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('duty_station')

    op.create_table(
        'reminders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('officer_id', sa.Integer(), nullable=False),
        sa.Column('cohort_id', sa.Integer(), nullable=True),
        sa.Column('sent_by_id', sa.Integer(), nullable=False),
        sa.Column('modules', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('dismissed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('email_status', sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_reminders_cohort_id_cohorts')),
        sa.ForeignKeyConstraint(['officer_id'], ['users.id'], name=op.f('fk_reminders_officer_id_users')),
        sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_reminders_sent_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders')),
    )
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminders_officer_id'), ['officer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminders_officer_id'))
    op.drop_table('reminders')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duty_station', sa.String(length=120), nullable=True))
    connection = op.get_bind()
    stations = sa.table('duty_stations', sa.column('id', sa.Integer()), sa.column('name_en', sa.String()))
    users = sa.table('users', sa.column('duty_station', sa.String()), sa.column('duty_station_id', sa.Integer()))
    connection.execute(sa.update(users).values(
        duty_station=sa.select(stations.c.name_en).where(stations.c.id == users.c.duty_station_id).scalar_subquery()))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_duty_station_id_duty_stations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_duty_station_id'))
        batch_op.drop_constraint(batch_op.f('ck_users_sex'), type_='check')
        batch_op.drop_column('email')
        batch_op.drop_column('sex')
        batch_op.drop_column('duty_station_id')
    op.drop_table('duty_stations')
