"""indexes for the monthly report (B3): the one-stop flow and the dossier-response join

Revision ID: 5b3e1f0a9d42
Revises: c79e822321b2
Create Date: 2026-11-26 10:55:00.000000

On PostgreSQL these can be built without blocking writes to large tables: create them with
CREATE INDEX CONCURRENTLY (same names, same columns) before running the upgrade, and skip
them here; a plain create_index is used so that SQLite and PostgreSQL share one migration.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b3e1f0a9d42'
down_revision = 'c79e822321b2'
branch_labels = None
depends_on = None

HAS_COMMENT = "coalesce(trim(comment), '') <> ''"


def upgrade():
    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.create_index(
            'ix_dossier_school_returned_received',
            ['school_id', 'returned_at', 'received_at', 'due_date'],
            unique=False,
        )
        batch_op.create_index(
            'ix_dossier_school_status_received',
            ['school_id', 'status', 'received_at', 'withdrawn_at'],
            unique=False,
        )
        # a prefix of ix_dossier_school_returned_received, which serves its queries
        batch_op.drop_index('ix_dossier_school_returned')

    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.create_index(
            'ix_response_dossier_response', ['dossier_id', 'id'], unique=False
        )
        batch_op.create_index(
            'ix_response_dossier_answer',
            ['dossier_id', 'id', 'overall', 'channel'],
            unique=False,
        )
        batch_op.create_index(
            'ix_response_dossier_commented',
            ['dossier_id', 'overall'],
            unique=False,
            sqlite_where=sa.text(HAS_COMMENT),
            postgresql_where=sa.text(HAS_COMMENT),
        )


def downgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index('ix_response_dossier_commented')
        batch_op.drop_index('ix_response_dossier_answer')
        batch_op.drop_index('ix_response_dossier_response')

    with op.batch_alter_table('dossier', schema=None) as batch_op:
        batch_op.create_index(
            'ix_dossier_school_returned', ['school_id', 'returned_at'], unique=False
        )
        batch_op.drop_index('ix_dossier_school_status_received')
        batch_op.drop_index('ix_dossier_school_returned_received')
