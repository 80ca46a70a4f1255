"""The migrations build exactly the schema the models declare, on every database under test."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_appbuilder import Model

from app.extensions import db

pytestmark = pytest.mark.every_engine  # the migrations run on each engine's DDL


def test_the_migrated_schema_matches_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Model.metadata)
    assert differences == []
