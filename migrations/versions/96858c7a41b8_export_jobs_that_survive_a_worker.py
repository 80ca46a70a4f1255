"""export jobs that survive a worker: source, params, locale, tries, heartbeat (#11 background jobs)

Revision ID: 96858c7a41b8
Revises: 7968bcf9de6d
Create Date: 2026-11-28 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '96858c7a41b8'
down_revision = '7968bcf9de6d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('params', sa.Text(), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('locale', sa.String(length=8), nullable=False, server_default='zh'))
        batch_op.add_column(sa.Column('tries', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('tries')
        batch_op.drop_column('locale')
        batch_op.drop_column('params')
        batch_op.drop_column('source')
