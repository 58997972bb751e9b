"""Who may moderate: every admin route, found in the URL map, refuses outsiders; actions need CSRF; GETs change
nothing. A new admin route is covered here the moment it is added."""

import pytest
import sqlalchemy as sa
from werkzeug.routing import AnyConverter, IntegerConverter

from blog.core.extensions import db
from blog.core.models import Comment, CommentStatus, ModerationEvent
from scripts.live import form_token
from tests.actions import login

pytestmark = pytest.mark.usefixtures("fast_hashing")

PUBLIC = {"auth.login"}  # the only route under the admin blueprints a signed-out visitor may use


def guarded_routes(app, comment_id):
    """Every (method, url) of the admin and auth blueprints but the sign-in page."""
    routes = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            blueprint = rule.endpoint.partition(".")[0]
            if blueprint not in ("admin", "auth") or rule.endpoint in PUBLIC:
                continue
            values = {}
            for name, converter in rule._converters.items():
                if isinstance(converter, IntegerConverter):
                    values[name] = comment_id
                elif isinstance(converter, AnyConverter):
                    values[name] = sorted(converter.items)[0]
                else:  # pragma: no cover - a new kind of argument: teach this test about it
                    pytest.fail(f"{rule.rule}: no sample value for <{name}>")
            url = rule.build(values)[1]
            routes += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return routes


@pytest.fixture
def routes(app, comment_id):
    found = guarded_routes(app, comment_id)
    urls = {url for _, url in found}
    # The enumeration really sees the routes (if this fails, the URL map changed shape, not the guard).
    assert {
        "/admin/comments",
        "/admin/comments/bulk",
        "/admin/logout",
        f"/admin/comments/{comment_id}/edit",
        f"/admin/comments/{comment_id}/reply",
    } <= urls
    assert any(m == "POST" and url.startswith(f"/admin/comments/{comment_id}/") for m, url in found)
    return found


def snapshot(app):
    """What moderation could change: every comment's status and text, and the audit trail."""
    with app.app_context():
        comments = db.session.execute(sa.select(Comment.id, Comment.status, Comment.raw_text)).all()
        events = db.session.scalar(sa.select(sa.func.count(ModerationEvent.id)))
        return sorted(comments), events


def test_signed_out_pages_redirect_to_login_and_actions_are_401(app, client, routes):
    token = form_token(client.get("/admin/login").text)  # a valid token does not make an outsider a moderator
    before = snapshot(app)
    for method, url in routes:
        if method == "GET":
            response = client.get(url)
            assert response.status_code == 302, url
            assert response.location.startswith("/admin/login?next=/admin/"), url
        else:
            response = client.open(url, method=method, data={"csrf_token": token, "action": "approve", "ids": "1"})
            assert response.status_code == 401, f"{method} {url}"
            assert "Please sign in" in response.text
    assert snapshot(app) == before


def test_an_outsider_replaying_a_moderators_form_is_401(app, client, comment_id):
    moderator = app.test_client()
    login(moderator)
    row_form = moderator.get("/admin/comments").text
    outsider_token = form_token(client.get("/admin/login").text)
    for action in ("approve", "spam", "trash"):
        response = client.post(
            f"/admin/comments/{comment_id}/{action}", data={"csrf_token": outsider_token, "next": "/admin/comments"}
        )
        assert response.status_code == 401
    # Even the moderator's own token is useless without the moderator's session.
    response = client.post(f"/admin/comments/{comment_id}/approve", data={"csrf_token": form_token(row_form)})
    assert response.status_code == 401
    with app.app_context():
        assert db.session.get(Comment, comment_id).status is CommentStatus.PENDING


def test_every_action_needs_the_csrf_token(app, client, routes):
    login(client)
    before = snapshot(app)
    posts = [url for method, url in routes if method == "POST"]
    assert posts
    for url in posts:
        response = client.post(url, data={"action": "approve", "ids": "1", "comment": "x", "author": "x"})
        assert response.status_code == 400, url
        bad = client.post(
            url, data={"csrf_token": "forged", "action": "approve", "ids": "1", "comment": "x", "author": "x"}
        )
        assert bad.status_code == 400, url
    assert snapshot(app) == before
    assert client.get("/admin/comments").status_code == 200  # still signed in: logout needed its token too


def test_no_get_changes_anything(app, client, routes):
    login(client)
    before = snapshot(app)
    for method, url in routes:
        response = client.get(url)
        assert response.status_code in (200, 302, 405), url
        if method != "GET":
            continue
        assert response.status_code in (200, 302), url
    assert snapshot(app) == before
    assert client.get("/admin/comments").status_code == 200  # GET /admin/logout did not sign out


def test_the_401_page_is_the_site_error_page(client, comment_id):
    response = client.post(f"/admin/comments/{comment_id}/approve")
    assert response.status_code == 401
    assert "Please sign in as a moderator to do that." in response.text
