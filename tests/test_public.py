"""One rule for a public article (published and due), the same in SQL, in Python and on every page."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from blog.core.extensions import db
from blog.core.models import Article, ArticleStatus, utcnow
from tests.factories import make_article

HIDDEN = {
    "draft": {"status": ArticleStatus.DRAFT},
    "withdrawn": {"status": ArticleStatus.WITHDRAWN},
    "not-yet-due": {"published_at": utcnow() + timedelta(days=2)},
}


@pytest.fixture
def hidden(app):
    with app.app_context():
        shown = make_article(slug="shown").slug
        return shown, [make_article(slug=slug, **fields).slug for slug, fields in HIDDEN.items()]


def test_sql_and_python_agree(app, hidden):
    shown, _ = hidden
    with app.app_context():
        every = db.session.scalars(sa.select(Article)).all()
        in_sql = set(db.session.scalars(sa.select(Article.slug).where(Article.is_public())))
        assert in_sql == {a.slug for a in every if a.is_public()} == {shown}
        later = utcnow() + timedelta(days=3)
        in_sql_later = set(db.session.scalars(sa.select(Article.slug).where(Article.is_public(now=later))))
        assert in_sql_later == {a.slug for a in every if a.is_public(now=later)} == {shown, "not-yet-due"}


@pytest.mark.parametrize("path", ["/", "/feed/", "/sitemap.xml"])
def test_lists_show_only_public_articles(client, hidden, path):
    shown, others = hidden
    body = client.get(path).get_data(as_text=True)
    assert f"/{shown}/" in body
    for slug in others:
        assert f"/{slug}/" not in body


@pytest.mark.parametrize("slug", list(HIDDEN))
@pytest.mark.parametrize("page", ["{}/", "{}/comment-page-2/", "{}/feed/"])
def test_a_hidden_article_is_not_found(client, hidden, slug, page):
    assert client.get("/" + page.format(slug)).status_code == 404
    assert client.get("/" + page.format(slug)).status_code == 404  # again: the page cache's answer too
