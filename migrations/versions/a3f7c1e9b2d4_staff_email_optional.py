"""staff e-mail optional: liaisons often have none

Revision ID: a3f7c1e9b2d4
Revises: 9e4c2a7b5d13
Create Date: 2026-12-07 12:40:00

FAB declares ab_user.email NOT NULL; a login without an address keeps NULL (unique among those that have one).
"""

import sqlalchemy as sa
from alembic import op

revision = "a3f7c1e9b2d4"
down_revision = "9e4c2a7b5d13"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ab_user", schema=None) as batch_op:
        batch_op.alter_column("email", existing_type=sa.String(length=320), nullable=True)


def downgrade():
    joined = "username || '@staff.invalid'" if op.get_bind().dialect.name == "sqlite" else "CONCAT(username, '@staff.invalid')"
    op.execute(f"UPDATE ab_user SET email = {joined} WHERE email IS NULL")
    with op.batch_alter_table("ab_user", schema=None) as batch_op:
        batch_op.alter_column("email", existing_type=sa.String(length=320), nullable=False)
