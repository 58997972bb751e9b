"""The terminal's command groups, imported only when one of them runs.

A web server never runs ``flask content publish``, ``flask import wxr`` or ``flask db upgrade``, so
no worker should import what they need: Markdown, Pygments and Pillow for publishing, the WordPress
parsers for moving, Alembic for migrations (about 20 MiB per process, README "Performance"). The app
registers each group by name (click's documented pattern for lazily loaded subcommands), so
``flask --help`` lists them and ``flask content publish`` imports publishing then, not before.
"""

import importlib

import click

from blog.core import server


class LazyGroup(click.Group):
    """A command group that stands for ``module:attribute`` and imports it when first asked for a command."""

    def __init__(self, name: str, target: str, help: str):
        super().__init__(name, help=help)
        self.target = target

    def group(self) -> click.Group:
        module, attribute = self.target.split(":")
        return getattr(importlib.import_module(module), attribute)

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        # From here on the real group parses and runs, with its own options and callback.
        return self.group().make_context(info_name, args, parent=parent, **extra)


class LazyMigrate:
    """Flask-Migrate's place in ``app.extensions``, filled when a migration first reads it.

    ``flask db ...`` (Flask-Migrate's own command group) and ``flask_migrate.upgrade()`` read
    ``app.extensions["migrate"]``; the first read sets Flask-Migrate up, importing Alembic, and
    Flask-Migrate puts its own configuration (and its own ``db`` group) in this object's place.
    """

    def __init__(self, app, db, directory: str):
        self.app, self.db, self.directory = app, db, directory
        app.extensions["migrate"] = self

    def __getattr__(self, name: str):
        migrate = importlib.import_module("flask_migrate").Migrate
        migrate(self.app, self.db, directory=self.directory)
        return getattr(self.app.extensions["migrate"], name)


def init_app(app, db) -> None:
    LazyMigrate(app, db, directory=str(app.root_path + "/../migrations"))
    app.cli.add_command(LazyGroup("db", "flask_migrate.cli:db", "Upgrade or downgrade the database's tables."))
    app.cli.add_command(LazyGroup("content", "blog.publishing.publish:content_cli", "Publish the content folder."))
    app.cli.add_command(LazyGroup("import", "blog.moving.commands:import_cli", "Move a site in from elsewhere."))
    app.cli.add_command(LazyGroup("export", "blog.moving.commands:export_cli", "Write the site out for elsewhere."))
    app.cli.add_command(server.serve)  # `flask serve`: production, under granian
