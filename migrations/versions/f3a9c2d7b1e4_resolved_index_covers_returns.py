"""the resolved-time index carries what returns() reads: the office's month from the index

reports.queries.returns() reads, for every dossier resolved in a period, its school, due
date, status, ready and return times and whether the return was entered after the fact.
With them in the index (PostgreSQL's INCLUDE), the office's month (B7 in BENCHMARKS.md:
2,000 schools, 488,000 dossiers resolved in the month) no longer visits the table for
each of them: 0.35 s -> 0.18 s. SQLite keeps the plain index.

Revision ID: f3a9c2d7b1e4
Revises: e41b7c9d2f10
Create Date: 2026-12-04 19:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f3a9c2d7b1e4"
down_revision = "e41b7c9d2f10"
branch_labels = None
depends_on = None

RESOLVED = sa.text("coalesce(ready_at, returned_at)")
COVERED = ["id", "school_id", "due_date", "status", "ready_at", "returned_at", "return_entered_at"]


def upgrade():
    op.drop_index("ix_dossier_resolved", table_name="dossier")
    op.create_index("ix_dossier_resolved", "dossier", [RESOLVED], postgresql_include=COVERED)


def downgrade():
    op.drop_index("ix_dossier_resolved", table_name="dossier")
    op.create_index("ix_dossier_resolved", "dossier", [RESOLVED])
