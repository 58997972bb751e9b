"""Backup and restore: a copy of every table comes back exactly, on SQLite and PostgreSQL."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from blog import create_app
from blog.core.extensions import db
from blog.core.models import Article, Comment, CommentStatus, ModerationEvent, Moderator
from tests.conftest import TEST_DATA_KEY


def _fill():
    article = Article(
        slug="kept",
        title="Kept “safe”",
        published_at=datetime(2024, 1, 2, tzinfo=UTC),
        html="<p>Body</p>",
        tags=["a", "b"],
    )
    moderator = Moderator(username="mod", password_hash="x", email="mod@example.org")
    db.session.add_all([article, moderator])
    db.session.flush()
    parent = Comment(
        article=article,
        author_name="Ada",
        author_email="ada@example.org",
        raw_text="Hi",
        html="<p>Hi</p>",
        status=CommentStatus.APPROVED,
        reasons=["held for moderation"],
        author_ip="192.0.2.1",
        approved_at=datetime(2024, 1, 3, tzinfo=UTC),
    )
    db.session.add(parent)
    db.session.flush()
    db.session.add(
        Comment(
            article=article,
            parent=parent,
            author_name="Bo",
            author_email="bo@example.org",
            raw_text="Ünïcode ✓",
            html="<p>Ünïcode ✓</p>",
        )
    )
    db.session.add(
        ModerationEvent(
            comment_id=parent.id,
            moderator_id=moderator.id,
            moderator_name="mod",
            action="approve",
            from_status="pending",
            to_status="approved",
        )
    )
    db.session.commit()


def _snapshot():
    return {
        t.name: [dict(r) for r in db.session.execute(sa.select(t).order_by(*t.primary_key.columns)).mappings()]
        for t in db.metadata.sorted_tables
    }


def test_backup_restores_every_row(app, runner, tmp_path):
    path = tmp_path / "blog.core.backup"
    with app.app_context():
        _fill()
        before = _snapshot()
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 comment" in result.output

    with app.app_context():
        db.drop_all()
        db.create_all()
    result = runner.invoke(args=["restore", str(path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert _snapshot() == before
        # New rows get fresh ids after a restore (PostgreSQL sequences were moved past the restored ids).
        article = db.session.scalar(sa.select(Article))
        db.session.add(
            Comment(article=article, author_name="New", author_email="n@example.org", raw_text="x", html="x")
        )
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 3


def test_restore_refuses_a_database_with_data(app, runner, tmp_path):
    path = tmp_path / "blog.core.backup"
    with app.app_context():
        _fill()
    assert runner.invoke(args=["backup", str(path)]).exit_code == 0
    result = runner.invoke(args=["restore", str(path)])
    assert result.exit_code != 0
    assert "not empty" in result.output


def test_restore_refuses_other_files(app, runner, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text('{"hello": 1}\n')
    result = runner.invoke(args=["restore", str(path)])
    assert result.exit_code != 0
    assert "not a blog backup" in result.output


@pytest.mark.postgres
def test_a_sqlite_backup_restores_into_postgresql(database_url, tmp_path):
    """Moving house: `flask backup` on SQLite, `flask db upgrade` and `flask restore` on PostgreSQL."""
    if database_url is None:
        pytest.skip("needs TEST_DATABASE_URL (PostgreSQL)")
    config = {"TESTING": True, "SECRET_KEY": "test-secret-key", "DATA_KEY": TEST_DATA_KEY, "CONTENT_DIR": str(tmp_path)}
    path = tmp_path / "blog.core.backup"
    lite = create_app({**config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'blog.sqlite3'}"})
    with lite.app_context():
        db.create_all()
        _fill()
        before = _snapshot()
        db.engine.dispose()
    assert lite.test_cli_runner().invoke(args=["backup", str(path)]).exit_code == 0

    pg = create_app({**config, "SQLALCHEMY_DATABASE_URI": database_url})
    runner = pg.test_cli_runner()
    try:
        assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
        result = runner.invoke(args=["restore", str(path)])
        assert result.exit_code == 0, result.output
        with pg.app_context():
            assert db.engine.dialect.name == "postgresql"
            assert _snapshot() == before
            article = db.session.scalar(sa.select(Article))
            db.session.add(
                Comment(article=article, author_name="New", author_email="n@example.org", raw_text="x", html="x")
            )
            db.session.commit()  # the sequences were moved past the restored ids
    finally:
        with pg.app_context():
            db.session.remove()
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
            db.drop_all()
            db.engine.dispose()


@pytest.mark.parametrize("existing", [False, True])
def test_a_backup_is_readable_by_the_owner_only(app, runner, tmp_path, existing):
    """A backup holds every email and IP the database does; a file it replaces may have been looser."""
    path = tmp_path / "blog.core.backup"
    if existing:
        path.write_text("an older backup")
        path.chmod(0o644)
    with app.app_context():
        _fill()
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text().startswith('{"format": "blog-backup/2"')
