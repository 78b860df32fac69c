"""a school's resolved-time index carries what returns() reads; notices by issue time

reports.queries.returns() reads, for each dossier a school resolved in a period, its due
date, status, ready and return times and whether the return was entered after the fact.
As key columns after the resolved time (SQLite has no INCLUDE) the per-school index serves
it alone: B3 SQLite returns() 0.10 s -> 0.06 s (BENCHMARKS.md). reports.queries.notices()
finds a period's one-stop forms by their issue time instead of walking every dossier of
the school (B3 SQLite 0.08 s -> under 1 ms).

Revision ID: a7c3e9f1d2b8
Revises: f3a9c2d7b1e4
Create Date: 2026-12-05 08:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a7c3e9f1d2b8"
down_revision = "f3a9c2d7b1e4"
branch_labels = None
depends_on = None

RESOLVED = sa.text("coalesce(ready_at, returned_at)")
READS = ["due_date", "status", "ready_at", "returned_at", "return_entered_at"]


def upgrade():
    op.drop_index("ix_dossier_school_resolved", table_name="dossier")
    op.create_index(
        "ix_dossier_school_resolved",
        "dossier",
        ["school_id", RESOLVED, *READS],
        postgresql_include=["id"],
    )
    op.create_index("ix_notice_issued", "notice", ["issued_at"])


def downgrade():
    op.drop_index("ix_notice_issued", table_name="notice")
    op.drop_index("ix_dossier_school_resolved", table_name="dossier")
    op.create_index("ix_dossier_school_resolved", "dossier", ["school_id", RESOLVED])
