"""open badges: credentials issued for certificates, their revocation lists, the signing key history

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 19:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'signing_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_key_multibase', sa.String(length=64), nullable=False),
        sa.Column('first_used_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_keys')),
        sa.UniqueConstraint('public_key_multibase', name=op.f('uq_signing_keys_public_key_multibase')),
    )
    op.create_table(
        'credential_status_lists',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('base_url', sa.String(length=300), nullable=False),
        sa.Column('document', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('size > 0 AND size % 8 = 0', name=op.f('ck_credential_status_lists_size_whole_bytes')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_credential_status_lists')),
    )
    op.create_table(
        'badge_credentials',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('certificate_id', sa.Integer(), nullable=False),
        sa.Column('uid', sa.String(length=40), nullable=False),
        sa.Column('status_list_id', sa.Integer(), nullable=False),
        sa.Column('status_index', sa.Integer(), nullable=False),
        sa.Column('signing_key_id', sa.Integer(), nullable=False),
        sa.Column('document', sa.JSON(), nullable=True),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('status_index >= 0', name=op.f('ck_badge_credentials_status_index_positive')),
        sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'],
                                name=op.f('fk_badge_credentials_certificate_id_certificates')),
        sa.ForeignKeyConstraint(['signing_key_id'], ['signing_keys.id'],
                                name=op.f('fk_badge_credentials_signing_key_id_signing_keys')),
        sa.ForeignKeyConstraint(['status_list_id'], ['credential_status_lists.id'],
                                name=op.f('fk_badge_credentials_status_list_id_credential_status_lists')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_badge_credentials')),
        sa.UniqueConstraint('certificate_id', name=op.f('uq_badge_credentials_certificate_id')),
        sa.UniqueConstraint('status_list_id', 'status_index',
                            name=op.f('uq_badge_credentials_status_list_id_status_index')),
        sa.UniqueConstraint('uid', name=op.f('uq_badge_credentials_uid')),
    )


def downgrade() -> None:
    op.drop_table('badge_credentials')
    op.drop_table('credential_status_lists')
    op.drop_table('signing_keys')
