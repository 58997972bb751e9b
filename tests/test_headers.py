"""Every kind of response carries the security headers, and every cookie is Secure outside debug.

The app runs as in production (TESTING and DEBUG off, so blog/core/settings.py turns SESSION_COOKIE_SECURE on) and
is spoken to over https, as it would be behind its TLS proxy. Each response, whatever its kind: a
Content-Security-Policy whose script-src allows no inline script and whose frame-ancestors is 'none',
``X-Content-Type-Options: nosniff``, a Referrer-Policy; each Set-Cookie: Secure, HttpOnly, SameSite.
"""

import re

import pytest

from blog.comments.avatars import token_for
from blog.core.extensions import db
from blog.core.models import Article, Comment
from blog.publishing.publish import publish
from scripts.live import form_fields, form_token
from tests.actions import login
from tests.factories import make_comment, make_moderator

SLUG = "how-this-blog-is-built"
HTTPS = {"base_url": "https://blog.example"}


@pytest.fixture
def app_config(app_config, seed_content):
    return {**app_config, "TESTING": False, "DEBUG": False}


@pytest.fixture
def site(app, fast_hashing):
    assert app.config["SESSION_COOKIE_SECURE"] and not (app.debug or app.testing)
    with app.app_context():
        publish(app.config["CONTENT_DIR"])
        make_moderator()
        article = db.session.scalar(db.select(Article).where(Article.slug == SLUG))
        parent = make_comment(article, "An approved comment.", email="grace@example.org")
        closed = Article(
            slug="closed", title="Closed", html="<p>Closed.</p>", comments_open=False, published_at=article.published_at
        )
        db.session.add(closed)
        db.session.commit()
        return {"parent": parent.id, "avatar": token_for("grace@example.org")}


def policy(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name.lower()] = values
    return directives


def problems(response) -> list[str]:
    found = []
    csp = response.headers.get("Content-Security-Policy")
    if not csp:
        found.append("no Content-Security-Policy")
    else:
        directives = policy(csp)
        scripts = directives.get("script-src", directives.get("default-src"))
        if scripts is None or "'unsafe-inline'" in scripts or "'unsafe-eval'" in scripts or "*" in scripts:
            found.append(f"script-src {scripts}")
        if directives.get("frame-ancestors") != ["'none'"]:
            found.append(f"frame-ancestors {directives.get('frame-ancestors')}")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        found.append("no X-Content-Type-Options: nosniff")
    if response.headers.get("Referrer-Policy") not in (
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    ):
        found.append(f"Referrer-Policy {response.headers.get('Referrer-Policy')!r}")
    for cookie in response.headers.getlist("Set-Cookie"):
        attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
        missing = {"secure", "httponly", "samesite"} - attributes
        if missing:
            found.append(f"cookie {cookie.split('=')[0]} lacks {sorted(missing)}")
    return found


def test_every_kind_of_response(app, site):
    reader = app.test_client()
    answers = {}

    def check(label, response, status):
        assert response.status_code == status, (label, response.status_code)
        response.close()  # a streamed file is closed, not left to the garbage collector
        answers[label] = (response, problems(response))
        return response

    check("index", reader.get("/", **HTTPS), 200)
    check("article, first (rendered)", app.test_client().get(f"/{SLUG}/", **HTTPS), 200)
    etag = check("article, from the page cache", reader.get(f"/{SLUG}/", **HTTPS), 200).headers["ETag"]
    check("article, 304", reader.get(f"/{SLUG}/", headers={"If-None-Match": etag}, **HTTPS), 304)
    check("article, ?replytocom", reader.get(f"/{SLUG}/?replytocom={site['parent']}", **HTTPS), 200)
    check("article, HEAD", reader.head(f"/{SLUG}/", **HTTPS), 200)
    check("slug without slash, 308", reader.get(f"/{SLUG}", **HTTPS), 308)
    check("404", reader.get("/no-such-article/", **HTTPS), 404)
    check("404 of a comment page", reader.get(f"/{SLUG}/comment-page-9/", **HTTPS), 404)
    check("atom feed", reader.get("/feed/", **HTTPS), 200)
    check("comments feed", reader.get(f"/{SLUG}/feed/", **HTTPS), 200)
    check("sitemap", reader.get("/sitemap.xml", **HTTPS), 200)
    check("health check", reader.get("/healthz", **HTTPS), 200)
    check("static file", reader.get("/static/css/site.css", **HTTPS), 200)
    check("media", reader.get("/media/diplomatic-meeting.jpg", **HTTPS), 200)
    check("avatar", reader.get(f"/avatar/{site['avatar']}.svg", **HTTPS), 200)
    check("405", reader.get(f"/{SLUG}/comments", **HTTPS), 405)

    form = form_fields(reader.get(f"/{SLUG}/", **HTTPS).text)
    valid = {
        **form,
        "comment": "Secure by default.",
        "author": "Ada",
        "email": "ada@example.org",
        "wp-comment-cookies-consent": "yes",
    }
    posted = check("POST valid, 303", reader.post(f"/{SLUG}/comments", data=valid, **HTTPS), 303)
    assert any(c.startswith("comment_author=") for c in posted.headers.getlist("Set-Cookie"))
    check("POST duplicate, 409", reader.post(f"/{SLUG}/comments", data=valid, **HTTPS), 409)
    check("POST invalid, 422", reader.post(f"/{SLUG}/comments", data={**form, "comment": ""}, **HTTPS), 422)
    stale = {**valid, "comment": "Another.", "csrf_token": "1.abc"}
    check("POST stale token, 400", reader.post(f"/{SLUG}/comments", data=stale, **HTTPS), 400)
    unapproved_parent = {**valid, "comment": "A reply.", "comment_parent": "999"}
    check("POST bad parent, 403", reader.post(f"/{SLUG}/comments", data=unapproved_parent, **HTTPS), 403)
    closed_form = form_fields(reader.get(f"/{SLUG}/", **HTTPS).text)
    check("POST closed, 403", reader.post("/closed/comments", data={**closed_form, **valid}, **HTTPS), 403)
    app.config["COMMENT_FLOOD_SECONDS"] = 60
    check("POST flood, 429", reader.post(f"/{SLUG}/comments", data={**valid, "comment": "Fast."}, **HTTPS), 429)
    app.config["COMMENT_FLOOD_SECONDS"] = 0
    huge = {**valid, "comment": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)}
    check("POST too large, 413", reader.post(f"/{SLUG}/comments", data=huge, **HTTPS), 413)

    moderator = app.test_client()
    check("admin, signed out: 302 to login", moderator.get("/admin/comments", **HTTPS), 302)
    check("admin login", moderator.get("/admin/login", **HTTPS), 200)
    check("admin login, wrong password", login(moderator, password="wrong password!", **HTTPS), 200)
    signed_in = check("admin login, 303", login(moderator, **HTTPS), 303)
    assert any(c.startswith("blog_session=") for c in signed_in.headers.getlist("Set-Cookie"))
    queue = moderator.get("/admin/comments?status=all", **HTTPS)
    check("admin queue", queue, 200)
    with app.app_context():
        held = db.session.scalar(db.select(Comment.id).where(Comment.raw_text == "Secure by default."))
    token = form_token(queue.text)
    action = {"csrf_token": token, "next": "/admin/comments"}
    check("admin action, 303", moderator.post(f"/admin/comments/{held}/approve", data=action, **HTTPS), 303)
    check("admin action without token, 400", moderator.post(f"/admin/comments/{held}/spam", **HTTPS), 400)
    check("admin edit", moderator.get(f"/admin/comments/{held}/edit", **HTTPS), 200)
    check("admin 404", moderator.get("/admin/comments/99999/edit", **HTTPS), 404)
    check("admin 405", moderator.get(f"/admin/comments/{held}/approve", **HTTPS), 405)
    check("admin action, signed out: 401", app.test_client().post(f"/admin/comments/{held}/spam", **HTTPS), 401)
    check("logout, 303", moderator.post("/admin/logout", data={"csrf_token": form_token(queue.text)}, **HTTPS), 303)

    assert {label: found for label, (_, found) in answers.items() if found} == {}
    cookies = [c for response, _ in answers.values() for c in response.headers.getlist("Set-Cookie")]
    assert {re.match(r"[^=]+", c).group() for c in cookies} >= {"comment_author", "blog_session"}


def test_debug_runs_keep_cookies_usable_over_http(app_config, monkeypatch):
    """The local `make serve` (FLASK_DEBUG=1) is plain http: its cookies must not be Secure, or nothing works."""
    from blog import create_app

    monkeypatch.delenv("FLASK_SESSION_COOKIE_SECURE", raising=False)
    local = create_app({k: v for k, v in app_config.items() if k not in ("TESTING", "DEBUG")} | {"DEBUG": True})
    assert local.debug and not local.config["SESSION_COOKIE_SECURE"]
