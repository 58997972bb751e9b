"""The migrations build exactly the schema the models describe, and unwind completely."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from blog import create_app
from blog.core.extensions import db

MIGRATIONS = str(__import__("pathlib").Path(__file__).resolve().parent.parent / "migrations")


@pytest.fixture
def bare_app(app_config):
    """An app whose database has no tables yet (the migrations make them)."""
    app = create_app(app_config)
    yield app
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        db.drop_all()
        db.engine.dispose()


def _user_tables(conn):
    return set(sa.inspect(conn).get_table_names()) - {"alembic_version"}


def test_upgrade_matches_the_models_and_downgrade_removes_everything(bare_app):
    with bare_app.app_context():
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            assert _user_tables(conn) == set(db.metadata.tables)
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"

        downgrade(directory=MIGRATIONS, revision="base")
        with db.engine.connect() as conn:
            assert _user_tables(conn) == set()
