"""dossier indexes for the report's one-stop flow (B3)

Revision ID: 5b3e1f0a9d42
Revises: c79e822321b2
Create Date: 2026-11-26 10:55:00.000000

On PostgreSQL these can be built without blocking writes to a large dossier table: run
CREATE INDEX CONCURRENTLY by hand before the upgrade (same names), or in an autocommit
block; a plain create_index is used here so SQLite and PostgreSQL share one migration.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b3e1f0a9d42'
down_revision = 'c79e822321b2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.create_index(
            'ix_dossier_school_returned_received',
            ['school_id', 'returned_at', 'received_at'],
            unique=False,
        )
        batch_op.create_index(
            'ix_dossier_school_status_withdrawn',
            ['school_id', 'status', 'withdrawn_at', 'received_at'],
            unique=False,
        )
        # a prefix of ix_dossier_school_returned_received, which serves its queries
        batch_op.drop_index('ix_dossier_school_returned')


def downgrade():
    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.create_index(
            'ix_dossier_school_returned', ['school_id', 'returned_at'], unique=False
        )
        batch_op.drop_index('ix_dossier_school_status_withdrawn')
        batch_op.drop_index('ix_dossier_school_returned_received')
