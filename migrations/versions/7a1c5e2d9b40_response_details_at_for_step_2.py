"""response.details_at: when the survey's optional step 2 was sent or skipped

Revision ID: 7a1c5e2d9b40
Revises: a4c7e2d91f05
Create Date: 2026-12-04 10:30:00.000000

The parent's survey is two steps: step 1 stores the response, step 2 (details, reasons,
comment, call-back) updates it once, within a dated window. `details_at` is set by the one
UPDATE ... WHERE details_at IS NULL that takes step 2, so a second send finds no row.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7a1c5e2d9b40"
down_revision = "a4c7e2d91f05"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.add_column(sa.Column("details_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.drop_column("details_at")
