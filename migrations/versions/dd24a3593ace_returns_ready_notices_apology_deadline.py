"""returns stamped by the server, ready time, supplement requests and refusals, apology deadline

Revision ID: dd24a3593ace
Revises: 3f6a2b9c8e17
Create Date: 2026-12-04 10:09:27.107975

- dossier.ready_at: when the result was ready (the on-time rate counts from it);
  ix_dossier_school_ready finds a period's resolved dossiers by it.
- dossier.return_entered_at / _by_id / return_backdate_reason / _note: a return entered
  after the fact ("nhập bù"); a check keeps the time and the reason together.
- dossier.original_due_date: the receipt's due date once a supplement request moved it.
- notice: supplement requests and refusals.
- apology.in_time_by: the last day the apology counts as in time. Existing apologies get
  the weekday before their dossier's (original) due date: the migration has no calendar of
  holidays, so one issued around a holiday may need a look.
"""

from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "dd24a3593ace"
down_revision = "3f6a2b9c8e17"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "supplement",
                "refusal",
                name="notice_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("completed_by_id", sa.Integer(), nullable=True),
        sa.Column("due_date_before", sa.Date(), nullable=False),
        sa.Column("due_date_after", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "kind = 'supplement' OR completed_at IS NULL",
            name=op.f("ck_notice_only_supplements_complete"),
        ),
        sa.ForeignKeyConstraint(
            ["completed_by_id"],
            ["app_user.id"],
            name=op.f("fk_notice_completed_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossier.id"], name=op.f("fk_notice_dossier_id_dossier")
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["app_user.id"], name=op.f("fk_notice_issued_by_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice")),
    )
    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_dossier_id"), ["dossier_id"], unique=False)

    with op.batch_alter_table("apology", schema=None) as batch_op:
        batch_op.add_column(sa.Column("in_time_by", sa.Date(), nullable=True))

    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ready_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("return_entered_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("return_entered_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("return_backdate_reason", sa.String(length=30), nullable=True)
        )
        batch_op.add_column(
            sa.Column("return_backdate_note", sa.String(length=500), nullable=True)
        )
        batch_op.add_column(sa.Column("original_due_date", sa.Date(), nullable=True))
        batch_op.create_index("ix_dossier_school_ready", ["school_id", "ready_at"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_dossier_return_entered_by_id_app_user"),
            "app_user",
            ["return_entered_by_id"],
            ["id"],
        )
        batch_op.create_check_constraint(
            "backdate_has_reason",
            "(return_entered_at IS NULL) = (return_backdate_reason IS NULL)",
        )

    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT apology.id, dossier.due_date FROM apology "
            "JOIN dossier ON dossier.id = apology.dossier_id"
        )
    ).all()
    for apology_id, due in rows:
        if isinstance(due, str):  # SQLite hands back the ISO text
            due = date.fromisoformat(due[:10])
        day = due - timedelta(days=1)
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        bind.execute(
            sa.text("UPDATE apology SET in_time_by = :day WHERE id = :id"),
            {"day": day, "id": apology_id},
        )


def downgrade():
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.drop_constraint("backdate_has_reason", type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_dossier_return_entered_by_id_app_user"), type_="foreignkey"
        )
        batch_op.drop_index("ix_dossier_school_ready")
        batch_op.drop_column("original_due_date")
        batch_op.drop_column("return_backdate_note")
        batch_op.drop_column("return_backdate_reason")
        batch_op.drop_column("return_entered_by_id")
        batch_op.drop_column("return_entered_at")
        batch_op.drop_column("ready_at")

    with op.batch_alter_table("apology", schema=None) as batch_op:
        batch_op.drop_column("in_time_by")

    with op.batch_alter_table("notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_dossier_id"))

    op.drop_table("notice")
