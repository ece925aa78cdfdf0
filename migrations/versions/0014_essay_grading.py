"""essay grading: a trainer's marks for an answer that a trainer grades

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 22:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'answer_gradings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('answer_id', sa.Integer(), nullable=False),
        sa.Column('grader_id', sa.Integer(), nullable=False),
        sa.Column('graded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('marks', sa.JSON(), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.CheckConstraint('score >= 0', name=op.f('ck_answer_gradings_score_not_negative')),
        sa.CheckConstraint('revision >= 1', name=op.f('ck_answer_gradings_revision_positive')),
        sa.ForeignKeyConstraint(['answer_id'], ['attempt_answers.id'], name=op.f('fk_answer_gradings_answer_id_attempt_answers')),
        sa.ForeignKeyConstraint(['grader_id'], ['users.id'], name=op.f('fk_answer_gradings_grader_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_gradings')),
        sa.UniqueConstraint('answer_id', name=op.f('uq_answer_gradings_answer_id')),
    )


def downgrade() -> None:
    op.drop_table('answer_gradings')
