"""The schema comes only from Alembic: upgrade, downgrade and upgrade again on a fresh database."""
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from spread.extensions import db
from tests.conftest import make_test_app
from tests.databases import fresh_database


def test_upgrade_downgrade_upgrade(tmp_path):
    with fresh_database(tmp_path, "migrations") as url:
        app = make_test_app(url)
        with app.app_context():
            upgrade()
            tables = set(inspect(db.engine).get_table_names())
            assert {"users", "organisations", "profiles", "alembic_version"} <= tables
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            assert set(inspect(db.engine).get_table_names()) == tables
            db.engine.dispose()


def test_models_match_the_migrations(app):
    """Autogenerate finds nothing to add: every model change has its migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []
