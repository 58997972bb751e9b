"""What a web worker holds: only what requests need, and what the master built once before it forked
(blog/core/prefork.py), with nothing a fork must not carry: no open database connection, no thread."""

import ctypes.util
import gc
import json
import subprocess
import sys

import sqlalchemy as sa

from blog.core import prefork
from blog.core.extensions import db
from blog.spam import model as spam_model
from tests.conftest import app_with_tables, drop_app, require
from tests.factories import make_article, make_comment


def test_the_master_renders_the_common_pages_then_closes_every_connection(app):
    with app.app_context():
        make_comment(make_article("warm", "Warm"), "Approved and shown.")
        db.session.remove()
    spam_model.starting_weights.cache_clear()
    try:
        prefork.prepare(app)
        assert gc.get_freeze_count() > 0  # what was built is out of the collector's sweeps
        assert spam_model.starting_weights.cache_info().currsize == 1  # the spam filter's 1 MiB, read once
        with app.app_context():
            assert db.engine.pool.checkedout() == 0
            assert app.wsgi_app.dedicated == []  # the page cache holds no connection of its own
    finally:
        gc.unfreeze()
    assert app.test_client().get("/warm/").status_code == 200  # a worker connects afresh


RETAINED_AFTER_A_PAGE = """
import re, sys
from blog.core import prefork
if sys.argv[1] == "fixed":
    prefork.return_freed_memory()
def rss_mib():
    return int(re.search(r"VmRSS:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) // 1024
page = bytearray(8 << 20)  # a big page's buffers, freed: glibc raises its thresholds past them
del page
before = rss_mib()
page = bytes(4 << 20) + b"x"  # the next page's, smaller
del page
print(rss_mib() - before)
"""


def test_a_worker_gives_back_the_memory_of_the_pages_it_has_sent():
    require(ctypes.util.find_library("c") == "libc.so.6", "needs Linux with glibc")

    def retained(how: str) -> int:
        run = subprocess.run(
            [sys.executable, "-c", RETAINED_AFTER_A_PAGE, how], capture_output=True, text=True, check=True
        )
        return int(run.stdout)

    assert retained("glibc's default") >= 4  # what every worker kept before
    assert retained("fixed") <= 1


def test_a_forked_worker_leaves_the_masters_connections_open_and_opens_its_own(app):
    with app.app_context():
        inherited = db.engine.raw_connection()
        inherited.close()  # back into the pool, as the master would leave it
        inherited_pool = db.engine.pool
        prefork.forget_inherited_connections(app)
        assert db.engine.pool is not inherited_pool  # the worker's connections are new
        assert inherited_pool.checkedin() == 1  # the master's are neither reused nor closed here
        assert db.session.execute(sa.text("SELECT 1")).scalar() == 1
        inherited_pool.dispose()  # what the master would close when it stops


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
