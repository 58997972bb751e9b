"""Date archives (/<yyyy>/, /<yyyy>/<mm>/) and the article's previous / next links."""

from datetime import UTC, datetime, timedelta

import pytest

from blog.core.extensions import db
from blog.core.models import Article, ArticleStatus, utcnow
from blog.publishing.publish import PublishError, publish
from tests.factories import make_article


def at(year, month, day=10) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


@pytest.fixture
def dated(app):
    with app.app_context():
        make_article(slug="march-a", title="March A", published_at=at(2024, 3, 5))
        make_article(slug="march-b", title="March B", published_at=at(2024, 3, 20))
        make_article(slug="april", title="April", published_at=at(2024, 4))
        make_article(slug="last-year", title="Last Year", published_at=at(2023, 12, 31))
        make_article(slug="drafted", title="Drafted", published_at=at(2024, 3), status=ArticleStatus.DRAFT)
        make_article(slug="later", title="Later", published_at=utcnow() + timedelta(days=3))


def shown(html: str, titles=("March A", "March B", "April", "Last Year", "Drafted", "Later")) -> list[str]:
    """The titles the page lists, in page order."""
    return sorted((t for t in titles if f">{t}</a>" in html), key=lambda t: html.index(f">{t}</a>"))


def test_month_archive_lists_that_month_newest_first(client, dated):
    response = client.get("/2024/03/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert shown(html) == ["March B", "March A"]
    assert "March 2024" in html
    assert '<link rel="canonical" href="http://localhost/2024/03/">' in html


def test_year_archive_lists_that_year_newest_first(client, dated):
    assert shown(client.get("/2024/").get_data(as_text=True)) == ["April", "March B", "March A"]
    assert shown(client.get("/2023/").get_data(as_text=True)) == ["Last Year"]


def test_archives_are_paged(app, client, dated):
    app.config["ARTICLES_PER_PAGE"] = 2
    first = client.get("/2024/").get_data(as_text=True)
    assert shown(first) == ["April", "March B"] and 'rel="next" href="/2024/page/2/"' in first
    assert shown(client.get("/2024/page/2/").get_data(as_text=True)) == ["March A"]
    response = client.get("/2024/page/1/")
    assert (response.status_code, response.headers["Location"]) == (301, "/2024/")


@pytest.mark.parametrize(
    "path",
    [
        "/2024/05/",  # nothing published then
        "/2022/",
        "/2024/13/",  # no such month
        "/2024/00/",
        "/0000/",
        "/2024/3/",  # a month is two digits
        "/24/03/",
        "/2024/03/page/2/",  # past the end
    ],
)
def test_empty_or_impossible_period_is_404(client, dated, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_a_period_with_only_drafts_or_scheduled_articles_is_404(app, client):
    with app.app_context():
        make_article(slug="drafted", published_at=at(2021, 6), status=ArticleStatus.DRAFT)
        soon = utcnow() + timedelta(days=40)
        make_article(slug="soon", published_at=soon)
    assert client.get("/2021/06/").status_code == 404
    assert client.get(f"/{soon.year:04d}/{soon.month:02d}/").status_code == 404


def test_a_four_digit_slug_is_refused_as_a_years_address(app, content_dir):
    (content_dir / "2024.md").write_text("---\ntitle: A year\ndate: 2024-01-01\n---\n\nText.\n")
    with app.app_context(), pytest.raises(PublishError) as e:
        publish(content_dir)
    assert "'2024' is the path of a year's archive; choose another" in str(e.value.errors[0])


def test_article_links_previous_and_next_public_articles(client, dated):
    html = client.get("/march-b/").get_data(as_text=True)
    assert '<a class="post-nav__link post-nav__link--prev" rel="prev" href="/march-a/">' in html
    assert '<a class="post-nav__link post-nav__link--next" rel="next" href="/april/">' in html
    oldest = client.get("/last-year/").get_data(as_text=True)
    assert 'rel="prev"' not in oldest and 'rel="next" href="/march-a/"' in oldest
    newest = client.get("/april/").get_data(as_text=True)  # the draft and the scheduled one are skipped
    assert 'rel="prev" href="/march-b/"' in newest and 'rel="next"' not in newest


def test_articles_of_the_same_moment_are_ordered_by_id(app, client):
    with app.app_context():
        first = make_article(slug="twin-1", published_at=at(2024, 1)).slug
        make_article(slug="twin-2", published_at=at(2024, 1))
    assert 'rel="next" href="/twin-2/"' in client.get(f"/{first}/").get_data(as_text=True)
    assert 'rel="prev" href="/twin-1/"' in client.get("/twin-2/").get_data(as_text=True)


def write(content_dir, slug: str, date: str) -> None:
    (content_dir / f"{slug}.md").write_text(f"---\ntitle: {slug}\ndate: {date}\n---\n\nText.\n")


def versions(app) -> dict[str, int]:
    with app.app_context():
        return {a.slug: a.version for a in db.session.scalars(db.select(Article))}


def test_publishing_an_article_moves_the_version_of_its_neighbours_only(app, client, content_dir):
    for slug, date in [("one", "2024-01-01"), ("two", "2024-02-01"), ("three", "2024-03-01"), ("four", "2024-04-01")]:
        write(content_dir, slug, date)
    with app.app_context():
        publish(content_dir)
    before = versions(app)
    write(content_dir, "between", "2024-02-15")  # between two and three
    with app.app_context():
        publish(content_dir)
    after = versions(app)
    moved = {slug for slug in before if after[slug] != before[slug]}
    assert moved == {"two", "three"}
    assert 'rel="next" href="/between/"' in client.get("/two/").get_data(as_text=True)

    (content_dir / "between.md").unlink()  # withdrawn: its neighbours link each other again
    with app.app_context():
        publish(content_dir)
    assert 'rel="next" href="/three/"' in client.get("/two/").get_data(as_text=True)


def test_a_cached_page_is_kept_no_longer_than_until_a_scheduled_article_is_due(app, client):
    due = utcnow() + timedelta(minutes=5)
    with app.app_context():
        make_article(slug="now-public", published_at=at(2024, 1))
        make_article(slug="scheduled", published_at=due)
    assert client.get("/now-public/").status_code == 200
    (page,) = app.wsgi_app.pages.values()
    # Once due, the scheduled article is this page's next: the copy must not outlive that moment.
    assert page.valid_until <= due.timestamp()


def test_a_browser_revalidating_after_a_scheduled_article_is_due_gets_the_new_links(app, client, monkeypatch):
    """The version does not move when an article becomes due, but the page does: so does its ETag."""
    due = utcnow() + timedelta(seconds=2)
    with app.app_context():
        make_article(slug="now-public", published_at=at(2024, 1))
        make_article(slug="scheduled", published_at=due)
    first = client.get("/now-public/")
    assert 'rel="next"' not in first.get_data(as_text=True)
    later = due + timedelta(seconds=1)
    monkeypatch.setattr("blog.reading.pagecache.time.time", lambda: later.timestamp())
    monkeypatch.setattr("blog.core.models.utcnow", lambda: later)
    again = client.get("/now-public/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200, "a 304 would keep the page without its Next link"
    assert 'rel="next" href="/scheduled/"' in again.get_data(as_text=True)
    assert again.headers["ETag"] != first.headers["ETag"]
