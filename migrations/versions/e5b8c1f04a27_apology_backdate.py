"""an apology's issue time entered after the fact ("nhập bù"), as a return's can be

Revision ID: e5b8c1f04a27
Revises: d2e8f4a61c37
Create Date: 2026-12-04 16:10:00.000000

- apology.entered_at / entered_by_id / backdate_reason / backdate_note: when a back-dated
  issue time was typed, by whom, and why; a check keeps the time and the reason together.
  Existing apologies are left unflagged (their entry time was not recorded).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e5b8c1f04a27"
down_revision = "d2e8f4a61c37"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("apology", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entered_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("entered_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("backdate_reason", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("backdate_note", sa.String(length=500), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_apology_entered_by_id_app_user"), "app_user", ["entered_by_id"], ["id"]
        )
        batch_op.create_check_constraint(
            "backdate_has_reason", "(entered_at IS NULL) = (backdate_reason IS NULL)"
        )


def downgrade():
    with op.batch_alter_table("apology", schema=None) as batch_op:
        batch_op.drop_constraint("backdate_has_reason", type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_apology_entered_by_id_app_user"), type_="foreignkey"
        )
        batch_op.drop_column("backdate_note")
        batch_op.drop_column("backdate_reason")
        batch_op.drop_column("entered_by_id")
        batch_op.drop_column("entered_at")
