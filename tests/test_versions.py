"""Version bumps: one rule, attached by the app factory (not at import), once however many apps."""

import sqlalchemy as sa
from sqlalchemy.orm import Session

from blog import create_app
from blog.core import database
from blog.core.extensions import db
from blog.core.models import Article, Comment, CommentStatus
from blog.reading import versions
from tests.factories import make_article, make_comment


def version_of(article_id: int) -> int:
    db.session.remove()
    return db.session.scalar(sa.select(Article.version).where(Article.id == article_id))


def test_no_hook_is_global():
    """Importing the modules attaches nothing to every Session or every Engine of the process."""
    assert not event_on(Session, "before_commit", versions._bump_versions)
    other = sa.create_engine("sqlite://")
    assert not event_on(other, "connect", database._sqlite_on_connect)
    assert not event_on(other, "begin", database._sqlite_begin)


def test_the_app_attaches_its_hooks(app):
    assert event_on(db.session.session_factory, "before_commit", versions._bump_versions)
    with app.app_context():
        assert event_on(db.engine, "do_connect", database._sqlite_create_private)
        assert event_on(db.engine, "begin", database._sqlite_begin)


def test_many_apps_bump_once_per_transaction(app, app_config):
    """create_app runs again and again (tests, gunicorn's reloads): an approval still bumps by one."""
    create_app(app_config)
    create_app(app_config)
    with app.app_context():
        article = make_article()
        article_id, before = article.id, article.version
        comment_id = make_comment(article, status=CommentStatus.PENDING).id
        assert version_of(article_id) == before  # a held comment shows nothing new
        db.session.get(Comment, comment_id).status = CommentStatus.APPROVED
        db.session.commit()
        assert version_of(article_id) == before + 1


def test_touch_article_moves_the_version_once_at_commit(app):
    with app.app_context():
        article = make_article()
        article_id, before = article.id, article.version
        versions.touch_article(article_id)
        versions.touch_article(article_id)
        db.session.commit()
        assert version_of(article_id) == before + 1


def event_on(target, name, hook) -> bool:
    return sa.event.contains(target, name, hook)
