"""where a self-service answer came from: desk network, minutes after return, device key

Revision ID: a4c7e2d91f05
Revises: dd24a3593ace
Create Date: 2026-12-04 10:40:00.000000

Four nullable response columns (NULL on paper and kiosk answers, and on every answer stored
before this revision): from_desk_network, minutes_after_return, device_key (a daily-keyed
hash, never a raw address; nulled after 30 days) and device_day_answers (the count kept when
the key is nulled). See survey_app/survey/provenance.py.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a4c7e2d91f05"
down_revision = "dd24a3593ace"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.add_column(sa.Column("from_desk_network", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("minutes_after_return", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("device_key", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("device_day_answers", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.drop_column("device_day_answers")
        batch_op.drop_column("device_key")
        batch_op.drop_column("minutes_after_return")
        batch_op.drop_column("from_desk_network")
