"""channel references: a 12345 ticket or an online receipt claimed by one case only

Revision ID: 9e4c2a7b5d13
Revises: 8d3f0b6e2c41
Create Date: 2026-12-07 12:30:00

Checking that a ticket was unused before inserting let two operators entering the same 12345 ticket at once
both through. The references already on cases are claimed here, the earliest case first; a later case that
repeats a reference keeps it on its record (nothing is rewritten) and is listed in the log.
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "9e4c2a7b5d13"
down_revision = "8d3f0b6e2c41"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade():
    op.create_table(
        "channel_reference",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("agency_case.id"), nullable=False),
        sa.PrimaryKeyConstraint("channel", "ref"),
    )
    op.create_index("ix_channel_reference_case_id", "channel_reference", ["case_id"])
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, number, channel, channel_ref FROM agency_case WHERE channel_ref <> '' ORDER BY id")
    ).all()
    claimed: dict[tuple[str, str], str] = {}
    table = sa.table("channel_reference", sa.column("channel"), sa.column("ref"), sa.column("case_id"))
    for case_id, number, channel, ref in rows:
        if (channel, ref) in claimed:
            log.warning("case %s repeats %s reference %s of case %s: kept on the case, not claimed", number, channel, ref, claimed[(channel, ref)])
            continue
        claimed[(channel, ref)] = number
        bind.execute(sa.insert(table).values(channel=channel, ref=ref, case_id=case_id))


def downgrade():
    # MariaDB refuses to drop an index its foreign key needs; dropping the table takes the index with it.
    op.drop_table("channel_reference")
