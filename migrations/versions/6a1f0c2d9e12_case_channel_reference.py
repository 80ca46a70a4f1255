"""the channel's own reference on a case: 12345 ticket number, online receipt (#12 channels)

Revision ID: 6a1f0c2d9e12
Revises: 5e29c06eb95d
Create Date: 2026-11-28 12:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6a1f0c2d9e12'
down_revision = '5e29c06eb95d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agency_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel_ref', sa.String(length=40), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('agency_case', schema=None) as batch_op:
        batch_op.drop_column('channel_ref')
