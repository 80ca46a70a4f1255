"""cases keep the applicant as submitted; events keyed by subject; agency step limits; catalog rules on items

Revision ID: b7d41c2e9a10
Revises: a8cbb82af4cc
Create Date: 2026-11-28 07:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "b7d41c2e9a10"
down_revision = "a8cbb82af4cc"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("agency_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("planned_end_estimated", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("step_due_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("enterprise_name", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("credit_code", sa.String(length=18), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("project_name", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("project_code", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("total_investment", sa.Numeric(precision=14, scale=2), nullable=True))
        batch_op.add_column(sa.Column("planned_investment", sa.Numeric(precision=14, scale=2), nullable=True))
        batch_op.add_column(sa.Column("project_category", sa.String(length=32), nullable=False, server_default="other"))
        batch_op.add_column(sa.Column("is_key_project", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("submitted_data", sa.Text(), nullable=True))
        batch_op.create_index("ix_agency_case_step_due_on", ["step_due_on"], unique=False)
        batch_op.create_index("ix_agency_case_credit_code", ["credit_code"], unique=False)
        batch_op.create_index("ix_agency_case_project_code", ["project_code"], unique=False)
    # Cases registered before this release: the best record of "as submitted" is today's data.
    op.execute(
        "UPDATE agency_case SET "
        "project_name = (SELECT p.name FROM project p WHERE p.id = agency_case.project_id), "
        "project_code = (SELECT p.code FROM project p WHERE p.id = agency_case.project_id), "
        "total_investment = (SELECT p.total_investment FROM project p WHERE p.id = agency_case.project_id), "
        "planned_investment = (SELECT p.planned_investment FROM project p WHERE p.id = agency_case.project_id), "
        "project_category = (SELECT p.category FROM project p WHERE p.id = agency_case.project_id), "
        "is_key_project = (SELECT p.is_key_project FROM project p WHERE p.id = agency_case.project_id), "
        "enterprise_name = (SELECT e.name FROM project p JOIN enterprise e ON e.id = p.enterprise_id "
        "WHERE p.id = agency_case.project_id), "
        "credit_code = (SELECT e.credit_code FROM project p JOIN enterprise e ON e.id = p.enterprise_id "
        "WHERE p.id = agency_case.project_id), "
        "submitted_data = '{}'"
    )

    with op.batch_alter_table("case_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("allows_incomplete", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("allows_commitment", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(
        "UPDATE case_item SET "
        "allows_incomplete = (SELECT c.allows_incomplete FROM catalog_item c WHERE c.id = case_item.catalog_item_id), "
        "allows_commitment = (SELECT c.allows_commitment FROM catalog_item c WHERE c.id = case_item.catalog_item_id)"
    )

    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_type", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("subject_id", sa.Integer(), nullable=True))
    op.execute("UPDATE case_event SET subject_type = 'item', subject_id = item_id WHERE item_id IS NOT NULL")
    op.execute("UPDATE case_event SET subject_type = 'case', subject_id = case_id WHERE item_id IS NULL")
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.alter_column("subject_type", existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column("subject_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("case_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_index("ix_case_event_subject", ["subject_type", "subject_id"], unique=False)

    op.create_table(
        "step_limit",
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["updated_by_id"], ["ab_user.id"]),
        sa.PrimaryKeyConstraint("state"),
    )


def downgrade():
    op.drop_table("step_limit")
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.drop_index("ix_case_event_subject")
        batch_op.drop_column("subject_id")
        batch_op.drop_column("subject_type")
    with op.batch_alter_table("case_item", schema=None) as batch_op:
        batch_op.drop_column("allows_commitment")
        batch_op.drop_column("allows_incomplete")
    with op.batch_alter_table("agency_case", schema=None) as batch_op:
        batch_op.drop_index("ix_agency_case_project_code")
        batch_op.drop_index("ix_agency_case_credit_code")
        batch_op.drop_index("ix_agency_case_step_due_on")
        batch_op.drop_column("submitted_data")
        batch_op.drop_column("is_key_project")
        batch_op.drop_column("project_category")
        batch_op.drop_column("planned_investment")
        batch_op.drop_column("total_investment")
        batch_op.drop_column("project_code")
        batch_op.drop_column("project_name")
        batch_op.drop_column("credit_code")
        batch_op.drop_column("enterprise_name")
        batch_op.drop_column("step_due_on")
        batch_op.drop_column("planned_end_estimated")
