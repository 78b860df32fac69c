"""dossier.search_text: the register's folded search text, backfilled

Revision ID: b7d41c9e2a05
Revises: 248e1c0f05c5
Create Date: 2026-12-04 10:30:00.000000

The register finds "Khôi" when "khoi" is typed, on SQLite and PostgreSQL alike: the codes,
names, class and phone of each dossier are folded (no diacritics, lowercase) by
survey_app.dossiers.search and stored; existing rows are filled here by the same function.
"""

import sqlalchemy as sa
from alembic import op

from survey_app.dossiers.search import search_text_of

# revision identifiers, used by Alembic.
revision = "b7d41c9e2a05"
down_revision = "248e1c0f05c5"
branch_labels = None
depends_on = None

BATCH = 2000


def upgrade():
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), server_default="", nullable=False))
    dossier = sa.table(
        "dossier",
        *(
            sa.column(name)
            for name in (
                "id",
                "code",
                "short_code",
                "student_name",
                "student_class",
                "applicant_name",
                "applicant_phone",
                "search_text",
            )
        ),
    )
    conn = op.get_bind()
    last = 0
    while True:
        rows = (
            conn.execute(
                sa.select(dossier).where(dossier.c.id > last).order_by(dossier.c.id).limit(BATCH)
            )
            .mappings()
            .all()
        )
        if not rows:
            break
        conn.execute(
            dossier.update()
            .where(dossier.c.id == sa.bindparam("row_id"))
            .values(search_text=sa.bindparam("folded")),
            [{"row_id": r["id"], "folded": search_text_of(dict(r))} for r in rows],
        )
        last = rows[-1]["id"]


def downgrade():
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.drop_column("search_text")
