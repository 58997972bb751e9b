"""What a web worker holds: only what requests need, and what the master built once before it forked
(blog/core/prefork.py), with nothing a fork must not carry: no open database connection, no thread."""

import gc
import json
import subprocess
import sys

from blog.core import prefork
from blog.core.extensions import db
from tests.conftest import app_with_tables, drop_app
from tests.factories import make_article, make_comment


def test_the_master_renders_the_common_pages_then_closes_every_connection(app):
    with app.app_context():
        make_comment(make_article("warm", "Warm"), "Approved and shown.")
        db.session.remove()
    try:
        prefork.prepare(app)
        assert gc.get_freeze_count() > 0  # what was built is out of the collector's sweeps
        with app.app_context():
            assert db.engine.pool.checkedout() == 0
            assert app.wsgi_app.dedicated == []  # the page cache holds no connection of its own
    finally:
        gc.unfreeze()
    assert app.test_client().get("/warm/").status_code == 200  # a worker connects afresh


def test_warming_sends_no_mail_and_starts_no_thread(app_config, caplog):
    # The request hooks do not run: the outbox would start its sending thread in the master.
    app_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=9, MAIL_FROM="blog@example.org")
    app = app_with_tables(app_config)
    try:
        prefork.prepare(app)
        assert "outbox" not in app.extensions
        assert not [r for r in caplog.records if r.name == prefork.__name__]  # every page rendered
    finally:
        gc.unfreeze()
        drop_app(app)


def test_a_database_that_is_not_there_yet_does_not_stop_the_server(app_config, caplog):
    app_config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    from blog import create_app

    app = create_app(app_config)
    try:
        prefork.prepare(app)
    finally:
        gc.unfreeze()
    assert "could not warm the app before forking" in caplog.text


def test_a_web_worker_never_imports_what_only_the_commands_use(app, app_config):
    # Publishing's Markdown, Pygments and Pillow, the WordPress import's parsers, Alembic: about 20 MiB.
    heavy = ["markdown_it", "mdit_py_plugins", "pygments", "PIL", "yaml", "bs4", "markdownify", "defusedxml", "alembic"]
    code = f"""
import json, sys
from blog import create_app
app = create_app(json.loads({json.dumps(app_config)!r}))
assert app.test_client().get("/").status_code == 200
print(json.dumps(sorted(set({heavy!r}) & sys.modules.keys())))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out.splitlines()[-1]) == []


def test_the_terminal_commands_are_listed_and_load_when_run(app, runner):
    listing = runner.invoke(args=["--help"]).output
    for group in ("db", "content", "import", "export"):
        assert f"  {group} " in listing
    assert "publish" in runner.invoke(args=["content", "--help"]).output
    assert "wxr" in runner.invoke(args=["import", "--help"]).output
    current = runner.invoke(args=["db", "current"])
    assert current.exit_code == 0, current.output
