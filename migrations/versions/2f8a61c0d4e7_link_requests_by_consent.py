"""cross-level links by consent: a link is requested, and the region asked accepts it

Revision ID: 2f8a61c0d4e7
Revises: 7b2e1d3c4f12
Create Date: 2026-12-07 03:00:00

Links between two cases of this system made before consent existed were keys nobody gave: at upgrade each active
one becomes a request waiting for the region asked, with the counterpart case it named kept as the requester's hint
(its number) so the other side finds it at once; nothing can be read through it until they accept.
"""

import sqlalchemy as sa
from alembic import op

revision = "2f8a61c0d4e7"
down_revision = "7b2e1d3c4f12"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("case_link", schema=None) as batch_op:
        batch_op.add_column(sa.Column("target_region_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("project_reference", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("counterpart_hint", sa.String(length=32), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("requested_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("decided_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("decided_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("answer", sa.Text(), nullable=True))
        batch_op.alter_column("linked_on", existing_type=sa.Date(), nullable=True)
        batch_op.create_index(batch_op.f("ix_case_link_target_region_id"), ["target_region_id"], unique=False)
        batch_op.create_foreign_key("fk_case_link_target_region_id_region", "region", ["target_region_id"], ["id"])
        batch_op.create_foreign_key("fk_case_link_decided_by_id_ab_user", "ab_user", ["decided_by_id"], ["id"])

    link = sa.table(
        "case_link",
        sa.column("counterpart_case_id", sa.Integer),
        sa.column("target_region_id", sa.Integer),
        sa.column("counterpart_hint", sa.String),
        sa.column("project_reference", sa.String),
        sa.column("state", sa.String),
        sa.column("requested_on", sa.Date),
        sa.column("linked_on", sa.Date),
        sa.column("answer", sa.Text),
    )
    case = sa.table(
        "agency_case",
        sa.column("id", sa.Integer),
        sa.column("region_id", sa.Integer),
        sa.column("number", sa.String),
        sa.column("project_code", sa.String),
    )
    counterpart = case.c.id == link.c.counterpart_case_id
    op.execute(link.update().values(answer="", requested_on=link.c.linked_on))
    op.execute(
        link.update()
        .where(link.c.counterpart_case_id.is_not(None))
        .values(
            target_region_id=sa.select(case.c.region_id).where(counterpart).scalar_subquery(),
            counterpart_hint=sa.select(case.c.number).where(counterpart).scalar_subquery(),
            project_reference=sa.func.coalesce(sa.select(case.c.project_code).where(counterpart).scalar_subquery(), ""),
        )
    )
    op.execute(
        link.update()
        .where(link.c.counterpart_case_id.is_not(None), link.c.state == "active")
        .values(state="requested", counterpart_case_id=None, linked_on=None)
    )
    with op.batch_alter_table("case_link", schema=None) as batch_op:
        batch_op.alter_column("answer", existing_type=sa.Text(), nullable=False)


def downgrade():
    with op.batch_alter_table("case_link", schema=None) as batch_op:
        batch_op.drop_constraint("fk_case_link_decided_by_id_ab_user", type_="foreignkey")
        batch_op.drop_constraint("fk_case_link_target_region_id_region", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_case_link_target_region_id"))
        batch_op.drop_column("answer")
        batch_op.drop_column("decided_by_id")
        batch_op.drop_column("decided_on")
        batch_op.drop_column("requested_on")
        batch_op.drop_column("counterpart_hint")
        batch_op.drop_column("project_reference")
        batch_op.drop_column("target_region_id")

