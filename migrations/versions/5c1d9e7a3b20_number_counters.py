"""number counters: case numbers per region and year taken under a row lock

Revision ID: 5c1d9e7a3b20
Revises: 2f8a61c0d4e7
Create Date: 2026-12-07 04:00:00

Each series' row is created on first use at the highest number its cases already carry, so an upgraded database
goes on from where it stands.
"""

import sqlalchemy as sa
from alembic import op

revision = "5c1d9e7a3b20"
down_revision = "2f8a61c0d4e7"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "number_counter",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade():
    op.drop_table("number_counter")
