"""``flask content publish``: all or nothing, idempotent, never deleting; and /media/ serving the images."""

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from blog.core.extensions import db
from blog.core.models import Article, ArticleStatus, Comment
from blog.publishing import publish as publish_module
from blog.publishing.publish import PublishError, publish
from tests.conftest import SITE

FIXTURES = Path(__file__).resolve().parent / "content"
SEED = "diplomatic-meeting-between-north-korea-and-pakistan"


def add_fixtures(content_dir: Path, *names: str) -> None:
    for name in names:
        shutil.copy(FIXTURES / name, content_dir / name)
    shutil.copytree(FIXTURES / "images", content_dir / "images", dirs_exist_ok=True)


def articles() -> dict[str, Article]:
    return {a.slug: a for a in db.session.scalars(sa.select(Article))}


def snapshot() -> dict[str, dict]:
    """Every stored column of every article, to compare a database before and after."""
    db.session.expire_all()
    columns = Article.__table__.columns.keys()
    return {a.slug: {c: getattr(a, c) for c in columns} for a in articles().values()}


@pytest.mark.parametrize(
    ("name", "slug", "status", "public", "report"),
    [
        ("with-caption.md", "with-caption", ArticleStatus.PUBLISHED, True, "created 1"),
        ("no-caption.md", "no-caption", ArticleStatus.PUBLISHED, True, "created 1"),
        # Readers see neither yet, so the report counts them as what they are, not as created.
        ("draft.md", "draft", ArticleStatus.DRAFT, False, "draft 1"),
        ("future-date.md", "future-date", ArticleStatus.PUBLISHED, False, "scheduled 1"),  # public once its date comes
    ],
)
def test_fixture_is_stored(app, content_dir, name, slug, status, public, report):
    add_fixtures(content_dir, name)
    with app.app_context():
        expected = "created 0, updated 0, unchanged 0, draft 0, scheduled 0, withdrawn 0"
        assert str(publish(content_dir)) == expected.replace(report.split()[0] + " 0", report)
        article = articles()[slug]
        assert (article.status, article.is_public()) == (status, public)
        assert article.source_path == name
        assert article.published_at.tzinfo is not None
        assert len(article.content_hash) == 64
        assert article.version == 2  # touched: every worker's cached page is stale


def test_future_date_becomes_public_when_it_comes(app, content_dir):
    add_fixtures(content_dir, "future-date.md")
    with app.app_context():
        publish(content_dir)
        article = articles()["future-date"]
        assert article.published_at == datetime(2999, 1, 1, 9, tzinfo=UTC)
        assert article.is_public(now=datetime(2999, 1, 1, 9, tzinfo=UTC))


def test_stored_rendering(app, content_dir):
    add_fixtures(content_dir, "with-caption.md")
    with app.app_context():
        publish(content_dir)
        article = articles()["with-caption"]
        assert (
            '<figure class="wp-caption"><picture><source type="image/webp" srcset="/media/.sizes/red-' in article.html
        )
        assert '<img src="/media/red.png?v=' in article.html
        assert '<figcaption class="wp-caption-text">A red square, captioned</figcaption></figure>' in article.html
        assert article.image.startswith("/media/red.png?v=")
        assert article.description == "An image whose title is its caption becomes a figure."
        assert article.toc_html == ""
        assert (article.title, article.author, article.tags, article.comments_open) == ("With a caption", "", [], True)


@pytest.mark.parametrize(
    ("names", "bad", "line", "message"),
    [
        (["missing-title.md"], "missing-title.md", 1, "title is required"),
        (["bad-date.md"], "bad-date.md", 3, "date is not an ISO 8601 date or date-time: '2024-13-45'"),
        (["broken-yaml.md"], "broken-yaml.md", 5, "front matter is not valid YAML: expected ',' or ']'"),
        (
            ["duplicate-slug-1.md", "duplicate-slug-2.md"],
            "duplicate-slug-2.md",
            5,
            "duplicate slug 'duplicate-slug': duplicate-slug-1.md has it already",
        ),
        (["missing-image.md"], "missing-image.md", 9, "image not found: images/no-such-image.jpg"),
        (["not-an-image.md"], "not-an-image.md", 6, "not an image (Pillow cannot read it)"),
    ],
)
def test_fixture_is_refused(app, content_dir, names, bad, line, message):
    add_fixtures(content_dir, "with-caption.md", *names)
    with app.app_context():
        with pytest.raises(PublishError) as caught:
            publish(content_dir)
        assert [(e.path, e.line) for e in caught.value.errors] == [(content_dir / bad, line)]
        assert caught.value.errors[0].message.startswith(message)
        assert articles() == {}  # not even the good file of the run


def test_every_problem_of_every_file_is_reported(app, content_dir):
    bad = [
        "bad-date.md",
        "broken-yaml.md",
        "duplicate-slug-1.md",
        "duplicate-slug-2.md",
        "missing-image.md",
        "missing-title.md",
        "not-an-image.md",
    ]
    add_fixtures(content_dir, *bad)
    with app.app_context(), pytest.raises(PublishError) as caught:
        publish(content_dir)
    assert [e.path.name for e in caught.value.errors] == [n for n in bad if n != "duplicate-slug-1.md"]


def test_idempotent(app, seed_content):
    with app.app_context():
        assert str(publish(seed_content)) == "created 3, updated 0, unchanged 0, draft 0, scheduled 0, withdrawn 0"
        before = snapshot()
        assert str(publish(seed_content)) == "created 0, updated 0, unchanged 3, draft 0, scheduled 0, withdrawn 0"
        assert snapshot() == before

        path = seed_content / "writing-for-the-web.md"
        path.write_text(path.read_text().replace("skim", "glance", 1))
        assert str(publish(seed_content)) == "created 0, updated 1, unchanged 2, draft 0, scheduled 0, withdrawn 0"
        assert articles()["writing-for-the-web"].version == before["writing-for-the-web"]["version"] + 1

        # An image is part of its article: new bytes, new rendering (and a new ?v= in the src).
        image = seed_content / "images" / "future-of-relations.jpg"
        shutil.copy(seed_content / "images" / "diplomatic-meeting.jpg", image)
        assert str(publish(seed_content)) == "created 0, updated 1, unchanged 2, draft 0, scheduled 0, withdrawn 0"
        assert articles()[SEED].html != before[SEED]["html"]

        assert (
            str(publish(seed_content, force=True))
            == "created 0, updated 3, unchanged 0, draft 0, scheduled 0, withdrawn 0"
        )


def test_withdrawn_not_deleted(app, seed_content):
    with app.app_context():
        publish(seed_content)
        article = articles()["how-this-blog-is-built"]
        db.session.add(
            Comment(article=article, author_name="A", author_email="a@example.org", raw_text="Hi", html="<p>Hi</p>")
        )
        db.session.commit()

        moved = seed_content.parent / "how-this-blog-is-built.md"
        (seed_content / "how-this-blog-is-built.md").rename(moved)
        assert str(publish(seed_content)) == "created 0, updated 0, unchanged 2, draft 0, scheduled 0, withdrawn 1"
        article = articles()["how-this-blog-is-built"]
        assert article.status is ArticleStatus.WITHDRAWN and not article.is_public()
        assert len(article.comments) == 1
        assert str(publish(seed_content)) == "created 0, updated 0, unchanged 2, draft 0, scheduled 0, withdrawn 0"

        moved.rename(seed_content / "how-this-blog-is-built.md")
        assert str(publish(seed_content)) == "created 0, updated 1, unchanged 2, draft 0, scheduled 0, withdrawn 0"
        assert articles()["how-this-blog-is-built"].status is ArticleStatus.PUBLISHED


def test_a_failing_run_leaves_everything_as_it_was(app, seed_content):
    with app.app_context():
        publish(seed_content)
        before = snapshot()
        (seed_content / "writing-for-the-web.md").write_text("---\ntitle: Changed\ndate: 2024-06-03\n---\nNew.\n")
        (seed_content / "how-this-blog-is-built.md").unlink()
        add_fixtures(seed_content, "missing-title.md")
        with pytest.raises(PublishError):
            publish(seed_content)
        assert snapshot() == before


def test_a_run_killed_half_way_leaves_everything_as_it_was(app, seed_content, monkeypatch):
    with app.app_context():
        publish(seed_content)
        before = snapshot()
        for name in ("writing-for-the-web.md", "how-this-blog-is-built.md"):
            path = seed_content / name
            path.write_text(path.read_text() + "\nOne more line.\n")
        calls = []

        def touch_then_die(article_id):
            calls.append(article_id)
            if len(calls) == 2:
                raise KeyboardInterrupt  # as a Ctrl-C between two writes of the same run
            original(article_id)

        original = publish_module.touch_article
        monkeypatch.setattr(publish_module, "touch_article", touch_then_die)
        with pytest.raises(KeyboardInterrupt):
            publish(seed_content)
        assert snapshot() == before


def test_missing_content_folder_withdraws_nothing(app, seed_content, tmp_path):
    with app.app_context():
        publish(seed_content)
        with pytest.raises(PublishError) as caught:
            publish(tmp_path / "no-such-folder")
        assert caught.value.errors[0].message == "no such content folder (check CONTENT_DIR)"
        assert all(a.status is ArticleStatus.PUBLISHED for a in articles().values())


def test_hidden_folders_are_skipped(app, content_dir):
    add_fixtures(content_dir, "draft.md")
    (content_dir / ".trash").mkdir()
    shutil.copy(FIXTURES / "missing-title.md", content_dir / ".trash" / "old.md")
    with app.app_context():
        assert publish(content_dir).draft == 1


# -- the command --


def test_cli_publishes(runner, seed_content):
    result = runner.invoke(args=["content", "publish"])
    assert (result.exit_code, result.stdout) == (
        0,
        "created 3, updated 0, unchanged 0, draft 0, scheduled 0, withdrawn 0\n",
    )
    result = runner.invoke(args=["content", "publish"])
    assert (result.exit_code, result.stdout) == (
        0,
        "created 0, updated 0, unchanged 3, draft 0, scheduled 0, withdrawn 0\n",
    )


def test_cli_reports_errors_and_exits_1(runner, content_dir):
    add_fixtures(content_dir, "with-caption.md", "missing-title.md", "bad-date.md")
    result = runner.invoke(args=["content", "publish"])
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].endswith(
        "bad-date.md:3: date is not an ISO 8601 date or date-time: '2024-13-45' "
        "(write 2024-05-14 or 2024-05-14T09:30:00Z)"
    )
    assert lines[1].endswith("missing-title.md:1: title is required")
    assert lines[2] == "Nothing was published: fix the 2 problem(s) above and run it again."


# -- /media/ --


def test_media_serves_images_with_cache_headers(app, client, seed_content):
    with app.app_context():
        publish(seed_content)
        src = articles()[SEED].image
    # A response streaming a file must be closed, or the file stays open (filterwarnings=error).
    with client.get(src) as response:
        assert response.status_code == 200
        assert response.mimetype == "image/jpeg"
        assert response.data == (seed_content / "images" / "diplomatic-meeting.jpg").read_bytes()
        assert {"public", "max-age=31536000", "immutable"} <= set(response.headers["Cache-Control"].split(", "))
        etag = response.headers["ETag"]
    with client.get(src, headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304
    with client.get("/media/diplomatic-meeting.jpg") as bare:
        assert bare.status_code == 200
        assert "max-age=86400" in bare.headers["Cache-Control"] and "immutable" not in bare.headers["Cache-Control"]


@pytest.mark.parametrize(
    "path",
    [
        "/media/nope.jpg",
        "/media/../diplomatic-meeting-between-north-korea-and-pakistan.md",
        "/media/%2e%2e/how-this-blog-is-built.md",
        "/media/",
    ],
)
def test_media_serves_nothing_else(client, seed_content, path):
    assert client.get(path).status_code == 404


# -- a publish that fails half-way leaves the published articles exactly as they were --


def change_every_article(content_dir: Path) -> None:
    for path in content_dir.glob("*.md"):
        path.write_text(path.read_text() + "\nOne more line.\n")


def test_an_unreadable_file_is_reported_and_publishes_nothing(app, seed_content, monkeypatch):
    # Tests run as root, where chmod 000 does not stop reading: make the read fail as it would.
    unreadable = seed_content / "writing-for-the-web.md"
    open_file = Path.open

    def refuse(self, *args, **kwargs):
        if self == unreadable:
            raise PermissionError(13, "Permission denied", str(self))
        return open_file(self, *args, **kwargs)

    with app.app_context():
        publish(seed_content)
        before = snapshot()
        change_every_article(seed_content)
        monkeypatch.setattr(Path, "open", refuse)
        with pytest.raises(PublishError) as caught:
            publish(seed_content)
        assert [str(e) for e in caught.value.errors] == [f"{unreadable}: cannot be read: Permission denied"]
        assert snapshot() == before


def test_an_unreadable_image_is_reported_and_publishes_nothing(app, seed_content, monkeypatch):
    image = seed_content / "images" / "diplomatic-meeting.jpg"
    open_file = Path.open

    def refuse(self, *args, **kwargs):
        if self == image:
            raise PermissionError(13, "Permission denied", str(self))
        return open_file(self, *args, **kwargs)

    with app.app_context():
        publish(seed_content)
        before = snapshot()
        change_every_article(seed_content)
        monkeypatch.setattr(Path, "open", refuse)
        with pytest.raises(PublishError) as caught:
            publish(seed_content)
        assert [e.path.name for e in caught.value.errors] == [f"{SEED}.md"]
        assert "cannot be read: Permission denied" in caught.value.errors[0].message
        assert snapshot() == before


def test_a_folder_named_like_an_article_is_not_one(app, seed_content):
    with app.app_context():
        publish(seed_content)
        before = snapshot()
        (seed_content / "notes.md").mkdir()
        assert str(publish(seed_content)) == "created 0, updated 0, unchanged 3, draft 0, scheduled 0, withdrawn 0"
        assert snapshot() == before


def test_an_image_that_is_not_an_image_publishes_nothing(app, seed_content):
    with app.app_context():
        publish(seed_content)
        before = snapshot()
        change_every_article(seed_content)
        (seed_content / "images" / "diplomatic-meeting.jpg").write_bytes(b"GIF89a, or so it says")
        with pytest.raises(PublishError) as caught:
            publish(seed_content)
        assert [e.path.name for e in caught.value.errors] == [f"{SEED}.md"]
        assert caught.value.errors[0].message.startswith("not an image (Pillow cannot read it)")
        assert snapshot() == before


# Run `flask content publish` with touch_article rigged to SIGKILL the process at its second call: the
# first article's new version is written (in the open transaction), the rest are not.
KILL_MID_WRITE = """
import os, signal, sys
import blog.publishing.publish
calls = []
def touch_then_die(article_id, _touch=blog.publishing.publish.touch_article):
    calls.append(article_id)
    if len(calls) == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    _touch(article_id)
blog.publishing.publish.touch_article = touch_then_die
from flask.cli import main
sys.argv = ["flask", "--app", "blog", "content", "publish"]
main()
"""


def test_a_publish_killed_mid_write_leaves_everything_as_it_was(app, app_config, seed_content):
    with app.app_context():
        publish(seed_content)
        before = snapshot()
        db.session.remove()  # hold no connection (nor lock) while the other process writes
    change_every_article(seed_content)
    env = {
        **os.environ,
        "DATABASE_URL": app_config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "x",
        "FLASK_CONTENT_DIR": str(seed_content),
    }
    env.pop("FLASK_DEBUG", None)
    done = subprocess.run(
        [sys.executable, "-c", KILL_MID_WRITE],
        env=env,
        cwd=Path(__file__).parent.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    with app.app_context():
        assert snapshot() == before
        # Nothing is left locked: the next run publishes every change.
        assert str(publish(seed_content)) == "created 0, updated 3, unchanged 0, draft 0, scheduled 0, withdrawn 0"


def write_article(content_dir: Path, name: str, front_matter: str, body: str = "Text.\n") -> Path:
    path = content_dir / name
    path.write_text(f"---\n{front_matter}---\n\n{body}")
    return path


def test_every_missing_image_of_a_file_is_a_line_of_its_own(app, content_dir):
    add_fixtures(content_dir)
    body = "![One](images/gone-1.png)\n\nBetween.\n\n![Two](images/gone-2.png)\n\n![Here](images/red.png)\n"
    path = write_article(content_dir, "two-gone.md", "title: T\ndate: 2024-05-14\n", body)
    with app.app_context(), pytest.raises(PublishError) as caught:
        publish(content_dir)
    assert [(e.path, e.line, e.message) for e in caught.value.errors] == [
        (path, 6, "image not found: images/gone-1.png"),
        (path, 10, "image not found: images/gone-2.png"),
    ]


@pytest.mark.parametrize("live", ["a-first.md", "z-second.md"])
def test_a_duplicate_slug_blames_the_second_file_in_path_order(app, content_dir, live):
    """Whichever of the two is live, the report names the later file, and the earlier one as the holder."""
    write_article(content_dir, live, "title: Live\ndate: 2024-05-14\nslug: shared\n")
    with app.app_context():
        publish(content_dir)
    other = ({"a-first.md", "z-second.md"} - {live}).pop()
    write_article(content_dir, other, "title: New\ndate: 2024-05-15\nslug: shared\n")
    with app.app_context():
        with pytest.raises(PublishError) as caught:
            publish(content_dir)
        assert [(e.path.name, e.line, e.message) for e in caught.value.errors] == [
            ("z-second.md", 4, "duplicate slug 'shared': a-first.md has it already")
        ]
        assert articles()["shared"].title == "Live"  # the run changed nothing


def test_the_report_counts_drafts_and_scheduled_files_as_such(app, content_dir, runner):
    for name in ("one", "two", "three"):
        write_article(content_dir, f"{name}.md", f"title: {name}\ndate: 2024-05-14\n")
    with app.app_context():
        publish(content_dir)
    write_article(content_dir, "new.md", "title: New\ndate: 2024-05-15\n")
    write_article(content_dir, "draft.md", "title: Draft\ndate: 2024-05-15\nstatus: draft\n")
    write_article(content_dir, "later.md", "title: Later\ndate: 2999-01-01\n")
    result = runner.invoke(args=["content", "publish"])
    assert (result.exit_code, result.stdout) == (
        0,
        "created 1, updated 0, unchanged 3, draft 1, scheduled 1, withdrawn 0\n",
    )


def test_publishing_renders_before_it_takes_the_write_lock(app, content_dir, monkeypatch):
    """Rendering and resizing images can take a while: readers' comment posts must not wait behind it."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("SQLite-specific: this run tests PostgreSQL")
    shutil.copytree(SITE, content_dir, dirs_exist_ok=True)
    database = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    writes_while_rendering = []
    render = publish_module.markdown.render

    def render_and_write(*args, **kwargs):
        # Another writer (a comment post) takes the write lock without waiting: it must get it.
        other = sqlite3.connect(database, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # "database is locked" at once if publish held the lock
            other.execute("ROLLBACK")
        finally:
            other.close()
        writes_while_rendering.append(True)
        return render(*args, **kwargs)

    monkeypatch.setattr(publish_module.markdown, "render", render_and_write)
    with app.app_context():
        counts = publish(content_dir)
    assert counts.created == 3 and len(writes_while_rendering) == 3


def test_a_publish_that_raced_another_decides_again_against_what_that_one_stored(app, content_dir, monkeypatch):
    """Between reading and the write lock another publish may store articles: nothing is created twice."""
    shutil.copytree(SITE, content_dir, dirs_exist_ok=True)
    prepare = publish_module.prepare
    calls = []

    def prepare_then_race(*args, **kwargs):
        entries = prepare(*args, **kwargs)
        if not calls:
            calls.append("first")
            with app.app_context():
                publish_module.publish(content_dir)  # the other publish, run to its end in between
        return entries

    monkeypatch.setattr(publish_module, "prepare", prepare_then_race)
    with app.app_context():
        counts = publish(content_dir)
        assert counts.created == 0 and counts.unchanged == 3
        assert db.session.scalar(sa.select(sa.func.count(Article.id))) == 3
