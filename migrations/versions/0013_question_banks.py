"""question banks: a question belongs to one quiz or to a bank that several quizzes draw from

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-20 10:00:00
"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode: SQLite changes a column's nullability and adds a check constraint by copying the table.
    with _foreign_keys_paused(), op.batch_alter_table('questions') as batch:
        batch.add_column(sa.Column('bank', sa.String(length=80), nullable=True))
        batch.alter_column('quiz_id', existing_type=sa.Integer(), nullable=True)
        batch.create_index(batch.f('ix_questions_bank'), ['bank'], unique=False)
        batch.create_check_constraint(batch.f('ck_questions_quiz_or_bank'), '(quiz_id IS NULL) <> (bank IS NULL)')


def downgrade() -> None:
    # A bank's questions have no quiz to go back to: refuse rather than drop officers' answers.
    bind = op.get_bind()
    if bind.execute(sa.text('SELECT count(*) FROM questions WHERE quiz_id IS NULL')).scalar():
        raise RuntimeError('questions of a question bank cannot be given back to a quiz: remove the banks first')
    with _foreign_keys_paused(), op.batch_alter_table('questions') as batch:
        batch.drop_constraint(batch.f('ck_questions_quiz_or_bank'), type_='check')
        batch.drop_index(batch.f('ix_questions_bank'))
        batch.alter_column('quiz_id', existing_type=sa.Integer(), nullable=False)
        batch.drop_column('bank')



@contextmanager
def _foreign_keys_paused():
    """SQLite rebuilds the table, and dropping the old copy would break the references of question
    versions and answers to it for a moment (a FOREIGN KEY error). SQLite's own procedure for
    altering a table: pause the checks, rebuild, then check every reference before going on. The
    pragma takes effect here because Python's sqlite3 opens a transaction only before a data change."""
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        op.execute('PRAGMA foreign_keys = OFF')
    try:
        yield
    finally:
        if sqlite:
            broken = op.get_bind().execute(sa.text('PRAGMA foreign_key_check')).all()
            op.execute('PRAGMA foreign_keys = ON')
            if broken:
                raise RuntimeError(f'foreign keys broken by the rebuild of questions: {broken[:5]}')
