"""app_user.must_change_password: a password given by someone else is changed at first login

Revision ID: d2e8f4a61c37
Revises: b7d41c9e2a05
Create Date: 2026-12-04 10:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d2e8f4a61c37"
down_revision = "b7d41c9e2a05"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade():
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
