"""two indexes less to write on every answer: answer(response_id), audit(school_id)

Revision ID: 3f6a2b9c8e17
Revises: 9d7c4a2e61b8
Create Date: 2026-11-26 14:10:00.000000

- ix_answer_response_id repeats the first column of the unique constraint
  uq_answer_response_id_question_code_value, which serves every lookup by response (and
  holds the question code and value the monthly report reads). It cost one more index
  entry per answer row, about seven per submitted survey.
- ix_audit_school_id: no query filters the audit trail by school alone (a dossier's history
  reads it by entity id); one index entry less per audited action.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "3f6a2b9c8e17"
down_revision = "9d7c4a2e61b8"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_index("ix_answer_response_id")
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_school_id")


def downgrade():
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.create_index("ix_audit_school_id", ["school_id"], unique=False)
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.create_index("ix_answer_response_id", ["response_id"], unique=False)
