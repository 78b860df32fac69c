"""report indexes: dossier ids in the period indexes, case end; two response indexes less

Revision ID: 9d7c4a2e61b8
Revises: 5b3e1f0a9d42
Create Date: 2026-11-26 11:25:00.000000

- ix_dossier_school_received and ix_dossier_school_returned_received carry the dossier id
  on PostgreSQL (INCLUDE), so that the monthly report reads a period's dossier ids, and
  joins them to responses and apologies, from the index alone (SQLite's indexes always
  carry the rowid, which is the id: nothing changes there).
- ix_response_dossier_answer (dossier_id, id, overall, channel) and the partial
  ix_response_dossier_commented go: reports.queries.intake reads the month's responses as
  one range of the unique index on dossier_id (and their rows), and aspects needs only
  (dossier_id, id), which ix_response_dossier_response keeps. Two indexes less to write
  on every submit.
- ix_case_school_ended: the cases open, or ended, in a period, by their end
  (coalesce(resolved_at, closed_at)).

On PostgreSQL the new indexes can be built without blocking writes (CREATE INDEX
CONCURRENTLY, same names and columns) before running the upgrade; see 5b3e1f0a9d42.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9d7c4a2e61b8"
down_revision = "5b3e1f0a9d42"
branch_labels = None
depends_on = None

CASE_END = "coalesce(resolved_at, closed_at)"
HAS_COMMENT = "coalesce(trim(comment), '') <> ''"
RETURNED = ["school_id", "returned_at", "received_at", "due_date"]


def _postgresql():
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    if _postgresql():
        op.drop_index("ix_dossier_school_received", table_name="dossier")
        op.create_index(
            "ix_dossier_school_received",
            "dossier",
            ["school_id", "received_at"],
            postgresql_include=["id"],
        )
        op.drop_index("ix_dossier_school_returned_received", table_name="dossier")
        op.create_index(
            "ix_dossier_school_returned_received",
            "dossier",
            RETURNED,
            postgresql_include=["id"],
        )

    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.drop_index("ix_response_dossier_commented")
        batch_op.drop_index("ix_response_dossier_answer")

    with op.batch_alter_table("follow_up_case", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_school_ended", ["school_id", sa.text(CASE_END)], unique=False
        )


def downgrade():
    with op.batch_alter_table("follow_up_case", schema=None) as batch_op:
        batch_op.drop_index("ix_case_school_ended")

    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.create_index(
            "ix_response_dossier_answer", ["dossier_id", "id", "overall", "channel"], unique=False
        )
        batch_op.create_index(
            "ix_response_dossier_commented",
            ["dossier_id", "overall"],
            unique=False,
            sqlite_where=sa.text(HAS_COMMENT),
            postgresql_where=sa.text(HAS_COMMENT),
        )

    if _postgresql():
        op.drop_index("ix_dossier_school_returned_received", table_name="dossier")
        op.create_index("ix_dossier_school_returned_received", "dossier", RETURNED)
        op.drop_index("ix_dossier_school_received", table_name="dossier")
        op.create_index("ix_dossier_school_received", "dossier", ["school_id", "received_at"])
