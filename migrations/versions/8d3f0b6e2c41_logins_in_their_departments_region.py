"""logins in their department's region: a department of another region is unbound, with an entry saying so

Revision ID: 8d3f0b6e2c41
Revises: 5c1d9e7a3b20
Create Date: 2026-12-07 05:00:00

A login whose department lay in another region than its own saw two regions at once (a 康巴什区 liaison bound to
达拉特旗水利局 read 达拉特旗's decisions). The user form now refuses the pair; rows saved before are unbound from the
department (which of the two was meant only the administrator knows) and keep an entry on the login's history
naming the department they had, for the administrator to bind again.
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "8d3f0b6e2c41"
down_revision = "5c1d9e7a3b20"
branch_labels = None
depends_on = None


def upgrade():
    connection = op.get_bind()
    staff = sa.table(
        "ab_user",
        sa.column("id", sa.Integer),
        sa.column("region_id", sa.Integer),
        sa.column("department_id", sa.Integer),
    )
    department = sa.table(
        "department", sa.column("id", sa.Integer), sa.column("region_id", sa.Integer), sa.column("name", sa.String)
    )
    region = sa.table("region", sa.column("id", sa.Integer), sa.column("name", sa.String))
    event = sa.table(
        "case_event",
        sa.column("subject_type", sa.String),
        sa.column("subject_id", sa.Integer),
        sa.column("action", sa.String),
        sa.column("note", sa.Text),
        sa.column("at", sa.DateTime),
    )
    misplaced = connection.execute(
        sa.select(staff.c.id, department.c.name, region.c.name)
        .join(department, department.c.id == staff.c.department_id)
        .join(region, region.c.id == department.c.region_id)
        .where(sa.or_(staff.c.region_id.is_(None), department.c.region_id != staff.c.region_id))
    ).all()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for staff_id, department_name, region_name in misplaced:
        connection.execute(staff.update().where(staff.c.id == staff_id).values(department_id=None))
        connection.execute(
            event.insert().values(
                subject_type="staff",
                subject_id=staff_id,
                action="unbind_department",
                note=f"{region_name} · {department_name}：与登录所属地区不一致，升级时解除绑定",
                at=now,
            )
        )


def downgrade():
    pass  # the unbound departments are named in the logins' history entries
