"""xapi outbox holds events written with the change that causes them

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 19:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('xapi_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('statements', sa.JSON(), nullable=True))
    # Statements collected by the old watermark keep their place in the queue, as events of their own.
    outbox = sa.table('xapi_outbox', sa.column('id', sa.Integer), sa.column('statement_id', sa.String),
                      sa.column('statement', sa.JSON), sa.column('event', sa.String),
                      sa.column('statements', sa.JSON))
    connection = op.get_bind()
    for row in connection.execute(sa.select(outbox.c.id, outbox.c.statement_id, outbox.c.statement)).all():
        connection.execute(outbox.update().where(outbox.c.id == row.id)
                           .values(event=f"statement:{row.statement_id}", statements=[row.statement]))
    with op.batch_alter_table('xapi_outbox', schema=None) as batch_op:
        batch_op.alter_column('event', existing_type=sa.String(length=120), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_xapi_outbox_event'), ['event'])
        batch_op.drop_constraint('uq_xapi_outbox_statement_id', type_='unique')
        batch_op.drop_column('statement_id')
        batch_op.drop_column('statement')


def downgrade() -> None:
    with op.batch_alter_table('xapi_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('statement_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('statement', sa.JSON(), nullable=True))
    # Events not yet built have no statement to go back to: the old collector finds them again.
    outbox = sa.table('xapi_outbox', sa.column('id', sa.Integer), sa.column('statement_id', sa.String),
                      sa.column('statement', sa.JSON), sa.column('statements', sa.JSON))
    connection = op.get_bind()
    connection.execute(outbox.delete().where(outbox.c.statements.is_(None)))
    for row in connection.execute(sa.select(outbox.c.id, outbox.c.statements)).all():
        first = (row.statements or [None])[0]
        connection.execute(outbox.update().where(outbox.c.id == row.id)
                           .values(statement_id=first["id"], statement=first))
    with op.batch_alter_table('xapi_outbox', schema=None) as batch_op:
        batch_op.alter_column('statement_id', existing_type=sa.String(length=36), nullable=False)
        batch_op.alter_column('statement', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_constraint('uq_xapi_outbox_event', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_xapi_outbox_statement_id'), ['statement_id'])
        batch_op.drop_column('statements')
        batch_op.drop_column('event')
