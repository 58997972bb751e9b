"""Fixtures: ``app``, ``client``, ``runner`` on a fresh database, SQLite by default.

Set ``TEST_DATABASE_URL`` to a PostgreSQL URL to run the whole suite there; each run works in a schema
of its own, dropped at the end. Under ``CI=true`` a test that needs a missing component fails instead
of skipping (see ``require``), and so does any skip whose reason is not in ``ALLOWED_SKIPS``.
"""

import json
import os
import secrets
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from blog import create_app
from blog.core.extensions import db
from blog.core.models import CommentStatus
from blog.moderation import accounts
from tests.factories import make_article, make_comment, make_moderator

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT / "tests" / "corpora"
# The tests' own small blog: three articles (copies of the blog's first ones) and their images, drawn by
# scripts/make_images.py. Tests publish this, never content/, which is the blogger's to change.
SITE = ROOT / "tests" / "content" / "site"
# Its pages (type: page): About (nav 1), Colophon (nav 2, comments open) and Imprint (not in the navigation).
PAGES = ROOT / "tests" / "content" / "pages"
IN_CI = os.environ.get("CI", "").lower() == "true"
# The tests' key for commenters' emails, in the environment so that every app a test makes and every server
# it starts (scripts/live.py) shares it, and none writes one into the instance folder.
TEST_DATA_KEY = "dGVzdHMtZGF0YS1rZXktMzItYnl0ZXMtbG9uZy0tLS0="
os.environ["FLASK_DATA_KEY"] = TEST_DATA_KEY


# Under CI=true a skipped test fails unless its reason is one of these: what legitimately differs between
# the suite's two runs (SQLite, then PostgreSQL). A missing tool, corpus or service is never a reason there.
ALLOWED_SKIPS = (
    "needs TEST_DATABASE_URL (PostgreSQL)",
    "SQLite-specific: this run tests PostgreSQL",
)


def skip_not_allowed(report) -> str | None:
    """The complaint about a skipped report under CI=true, or None where the skip is allowed."""
    if not (IN_CI and report.skipped) or hasattr(report, "wasxfail"):
        return None
    reason = report.longrepr[2].removeprefix("Skipped: ") if isinstance(report.longrepr, tuple) else ""
    if reason in ALLOWED_SKIPS:
        return None
    return f"CI=true turns this skip into a failure: its reason {reason!r} is not in ALLOWED_SKIPS (tests/conftest.py)"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    complaint = skip_not_allowed(report)
    if complaint:
        report.outcome, report.longrepr = "failed", complaint
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    # A module that skips itself as it is collected (allow_module_level) is held to the same list.
    report = yield
    complaint = skip_not_allowed(report)
    if complaint:
        report.outcome, report.longrepr = "failed", complaint
    return report


def require(condition: bool, reason: str):
    """Skip when a component is missing locally; under CI=true that is a failure, not a skip."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def nu_errors(files) -> list[tuple[str, str]]:
    """Run the Nu Html Checker once (one JVM) over these HTML files.

    :return: (file name, "line N: message") for each error, fatal ones included.
    """
    require(VNU.exists() and shutil.which("java") is not None, "vnu.jar or java is missing (npm ci; a JRE)")
    command = ["java", "-jar", str(VNU), "--format", "json", "--errors-only", "--exit-zero-always"]
    run = subprocess.run([*command, *map(str, files)], capture_output=True, timeout=300)
    return [
        (m.get("url", "").rsplit("/", 1)[-1], f"line {m.get('lastLine')}: {m['message']}")
        for m in json.loads(run.stderr or run.stdout)["messages"]
        if m["type"] in ("error", "non-document-error") or m.get("subType") == "fatal"
    ]


def corpus(*parts) -> Path:
    """Return a path in tests/corpora (third-party test data kept in the repository); a missing file fails."""
    path = CORPORA.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"corpus file {path} is missing: it belongs in the repository (see tests/corpora/README.md)")
    return path


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """The database this run tests against: a fresh PostgreSQL schema, or a folder for SQLite files."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        yield None
        return
    schema = f"test_{secrets.token_hex(4)}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    yield f"{url}{sep}options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def db_url(database_url, tmp_path):
    """A database URL for one test: the run's PostgreSQL schema, or a new SQLite file."""
    return database_url or f"sqlite:///{tmp_path / 'blog.sqlite3'}"


@pytest.fixture
def content_dir(tmp_path):
    """An empty content folder for tests that publish their own articles."""
    path = tmp_path / "content"
    (path / "images").mkdir(parents=True)
    return path


def settings_for(db_url: str, content_dir) -> dict:
    """The settings of a test app on this database and content folder."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": db_url,
        "CONTENT_DIR": str(content_dir),
        "COMMENT_FLOOD_SECONDS": 0,
        "SERVER_NAME": None,
    }


def app_with_tables(settings: dict):
    """Create the app and its tables (the tests build the schema from the models; test_migrations
    checks that the migrations agree)."""
    app = create_app(settings)
    with app.app_context():
        db.create_all()
    return app


def drop_app(app):
    """Let go of a test app's database: its tables on PostgreSQL (a schema shared by the run), its
    connections everywhere."""
    with app.app_context():
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            db.drop_all()
        db.engine.dispose()


@pytest.fixture
def app_config(db_url, content_dir):
    """The test settings; a test may change them before asking for ``app``."""
    return settings_for(db_url, content_dir)


@pytest.fixture
def app(app_config):
    app = app_with_tables(app_config)
    yield app
    drop_app(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def seed_content(content_dir):
    """Copy the tests' own site (tests/content/site: three articles, three images) into the content folder."""
    shutil.copytree(SITE, content_dir, dirs_exist_ok=True)
    return content_dir


@pytest.fixture
def fast_hashing(monkeypatch):
    """Hash with argon2id at its cheapest, so tests that sign in often stay fast (test_auth checks the real one)."""
    monkeypatch.setattr(accounts, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def ctx(app):
    """An app context around the whole test, for tests that work with the models directly."""
    with app.app_context():
        yield


@pytest.fixture
def article(ctx):
    """The article readers comment on (/on-embassies/, where ``tests.actions.post_comment`` posts)."""
    return make_article("on-embassies", "On Embassies")


@pytest.fixture
def comment_id(app):
    """A moderator and a comment held on a fresh article; the comment's id."""
    with app.app_context():
        make_moderator()
        return make_comment(make_article(), status=CommentStatus.PENDING).id
