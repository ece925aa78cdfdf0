"""module changes: notes on material corrections, with when each was first published

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 19:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('module_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('note', sa.JSON(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_module_changes_module_id_modules')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_module_changes')),
    sa.UniqueConstraint('module_id', 'key', name=op.f('uq_module_changes_module_id_key'))
    )
    with op.batch_alter_table('module_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_module_changes_module_id'), ['module_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('module_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_module_changes_module_id'))
    op.drop_table('module_changes')
