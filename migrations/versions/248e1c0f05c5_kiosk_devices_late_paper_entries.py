"""kiosk devices; a kiosk answer names its device; late paper entries keep their reason

Revision ID: 248e1c0f05c5
Revises: 7a1c5e2d9b40
Create Date: 2026-12-04 10:13:41.737661

- kiosk_device: a tablet enrolled by the principal (hashed secret, one-time enrolment code,
  revoked_at, last_used_at), bound to one school.
- response.kiosk_device_id: the device a kiosk answer came from. The check that tied kiosk
  answers to a staff operator is replaced: paper names who typed it; kiosk names its device
  or (answers stored before devices existed, or a staff member signed in on the tablet)
  a staff member; qr and code name neither.
- response.late_entry_reason: why a paper form was entered after the link expired (paper
  only).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "248e1c0f05c5"
down_revision = "7a1c5e2d9b40"
branch_labels = None
depends_on = None

OLD_CHECK = "(channel IN ('paper', 'kiosk')) = (entered_by_id IS NOT NULL)"
NEW_CHECK = (
    "(channel IN ('qr', 'code') AND entered_by_id IS NULL AND kiosk_device_id IS NULL)"
    " OR (channel = 'paper' AND entered_by_id IS NOT NULL AND kiosk_device_id IS NULL)"
    " OR (channel = 'kiosk'"
    " AND (kiosk_device_id IS NOT NULL OR entered_by_id IS NOT NULL))"
)
LATE_CHECK = "late_entry_reason IS NULL OR channel = 'paper'"


def upgrade():
    op.create_table(
        "kiosk_device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=True),
        sa.Column("enrol_hash", sa.String(length=64), nullable=True),
        sa.Column("enrol_expires_at", sa.DateTime(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["app_user.id"], name=op.f("fk_kiosk_device_created_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_kiosk_device_school_id_school")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kiosk_device")),
        sa.UniqueConstraint("enrol_hash", name=op.f("uq_kiosk_device_enrol_hash")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_kiosk_device_secret_hash")),
    )
    with op.batch_alter_table("kiosk_device", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kiosk_device_school_id"), ["school_id"], unique=False)

    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kiosk_device_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("late_entry_reason", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_response_kiosk_device_id_kiosk_device"),
            "kiosk_device",
            ["kiosk_device_id"],
            ["id"],
        )
        batch_op.drop_constraint(op.f("ck_response_assisted_has_operator"), type_="check")
        batch_op.create_check_constraint("answer_names_its_operator", NEW_CHECK)
        batch_op.create_check_constraint("late_entry_on_paper_only", LATE_CHECK)


def downgrade():
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_response_late_entry_on_paper_only"), type_="check")
        batch_op.drop_constraint(op.f("ck_response_answer_names_its_operator"), type_="check")
        batch_op.create_check_constraint("assisted_has_operator", OLD_CHECK)
        batch_op.drop_constraint(
            batch_op.f("fk_response_kiosk_device_id_kiosk_device"), type_="foreignkey"
        )
        batch_op.drop_column("late_entry_reason")
        batch_op.drop_column("kiosk_device_id")

    with op.batch_alter_table("kiosk_device", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kiosk_device_school_id"))

    op.drop_table("kiosk_device")
