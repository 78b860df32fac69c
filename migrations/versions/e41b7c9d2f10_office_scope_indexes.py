"""indexes for the office's scope and for the resolved time (Dossier.resolved_at)

The oversight office reads a month over every school (B7 in BENCHMARKS.md): the per-school
indexes, which lead with school_id, cannot serve it. A dossier resolved in a period is found
by coalesce(ready_at, returned_at), the one definition of Dossier.resolved_at, per school
(replacing the index on ready_at) and for the office.

Revision ID: e41b7c9d2f10
Revises: e5b8c1f04a27
Create Date: 2026-12-04 16:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e41b7c9d2f10"
down_revision = "e5b8c1f04a27"
branch_labels = None
depends_on = None

RESOLVED = sa.text("coalesce(ready_at, returned_at)")


def upgrade():
    op.drop_index("ix_dossier_school_ready", table_name="dossier")
    op.create_index("ix_dossier_school_resolved", "dossier", ["school_id", RESOLVED])
    op.create_index("ix_dossier_received", "dossier", ["received_at"], postgresql_include=["id"])
    op.create_index("ix_dossier_resolved", "dossier", [RESOLVED])
    op.create_index("ix_dossier_returned_received", "dossier", ["returned_at", "received_at"])
    op.create_index(
        "ix_dossier_status_received", "dossier", ["status", "received_at", "withdrawn_at"]
    )


def downgrade():
    op.drop_index("ix_dossier_status_received", table_name="dossier")
    op.drop_index("ix_dossier_returned_received", table_name="dossier")
    op.drop_index("ix_dossier_resolved", table_name="dossier")
    op.drop_index("ix_dossier_received", table_name="dossier")
    op.drop_index("ix_dossier_school_resolved", table_name="dossier")
    op.create_index("ix_dossier_school_ready", "dossier", ["school_id", "ready_at"])
