"""referral contacts: whom officers call on the referral pathway, entered by the administrator

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 18:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('referral_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('who_en', sa.String(length=160), nullable=False),
    sa.Column('who_ar', sa.String(length=160), nullable=False),
    sa.Column('reach', sa.String(length=80), nullable=False),
    sa.Column('note_en', sa.String(length=300), nullable=False),
    sa.Column('note_ar', sa.String(length=300), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_contacts'))
    )


def downgrade() -> None:
    op.drop_table('referral_contacts')
