"""POST /<slug>/comments answers every row of SPEC §4's table, on the article page itself."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from blog.comments import csrf, pending, posting
from blog.core.extensions import db
from blog.core.models import Article, Comment, CommentStatus
from scripts.live import form_fields
from tests.actions import Tags, location_ids, post_comment
from tests.conftest import app_with_tables, drop_app
from tests.factories import make_article, make_comment

SLUG = "on-embassies"


def stored(comment_id=None) -> Comment:
    db.session.expire_all()
    if comment_id is None:
        return db.session.scalars(sa.select(Comment).order_by(Comment.id.desc())).first()
    return db.session.get(Comment, comment_id)


def respond_text(html: str) -> str:
    start = html.index('<div id="respond"')
    return re.sub(r"<[^>]+>", " ", html[start : html.index("</form>", start)])


# --- the form ------------------------------------------------------------------------------------------


def test_form_has_wordpress_fields_labels_and_notes(client, article):
    response = client.get(f"/{SLUG}/")
    html = response.text
    assert response.status_code == 200
    text = " ".join(respond_text(html).split())
    for phrase in [
        "Leave a Reply",
        "Your email address will not be published.",
        "Required fields are marked *",
        "Comment *",
        "Name *",
        "Email *",
        "Website",
        "Save my name, email, and website in this browser for the next time I comment.",
    ]:
        assert phrase in text
    tags = Tags(html)
    assert tags.find("div", id="respond")
    assert tags.find("h3", id="reply-title")
    assert tags.find("form", id="commentform", action=f"/{SLUG}/comments", method="post")
    for name in ["comment", "author", "email", "url"]:
        field = tags.find(name="comment")[0] if name == "comment" else tags.find("input", name=name)[0]
        assert field["id"] == name
        assert tags.find("label", **{"for": name})
    assert tags.find("textarea", name="comment")[0]["maxlength"] == "65525"
    assert tags.find("input", name="author")[0]["maxlength"] == "245"
    assert tags.find("input", name="email")[0]["maxlength"] == "100"
    assert tags.find("input", name="url")[0]["maxlength"] == "200"
    consent = tags.find("input", name="wp-comment-cookies-consent")[0]
    assert consent["type"] == "checkbox" and "checked" not in consent
    assert tags.find("label", **{"for": "wp-comment-cookies-consent"})
    assert tags.find("input", name="comment_parent", type="hidden", value="0")
    assert tags.find("input", name="csrf_token", type="hidden")
    assert tags.find("input", type="submit", value="Post Comment")
    # WordPress's order: comment, author, email, url, consent.
    order = [a.get("name") for t, a in tags.tags if t in ("input", "textarea") and a.get("name")]
    wp = ["comment", "author", "email", "url", "wp-comment-cookies-consent"]
    assert [n for n in order if n in wp] == wp


def test_honeypot_is_hidden_from_people(client, article):
    tags = Tags(client.get(f"/{SLUG}/").text)
    honeypot = tags.find("input", name="phone")[0]
    assert honeypot["tabindex"] == "-1"
    assert honeypot["autocomplete"] == "off"
    assert honeypot["type"] == "text"  # a hidden input is what bots learn to skip
    assert tags.find("p", class_="comment-form-phone")[0]["aria-hidden"] == "true"


def test_no_script_or_style_attribute_in_the_page(client, article):
    make_comment(article, "Seen.")
    tags = Tags(client.get(f"/{SLUG}/?replytocom=1").text)
    assert not [a for _, a in tags.tags if "style" in a or any(k.startswith("on") for k in a)]
    scripts = [a for t, a in tags.tags if t == "script" and a.get("type") != "application/ld+json"]
    assert len(scripts) == 1 and scripts[0]["defer"] is None
    assert re.fullmatch(r"/static/js/comment-reply\.[0-9a-f]{10}\.js", scripts[0]["src"])


def test_reader_gets_no_cookie_and_a_page_any_cache_may_keep(client, app, article):
    response = client.get(f"/{SLUG}/")
    assert response.headers.getlist("Set-Cookie") == []
    assert response.headers["Cache-Control"] == "public, max-age=0, s-maxage=1, stale-while-revalidate=30"
    response = post_comment(client)
    assert response.status_code == 303
    assert not any(
        c.startswith(app.config["SESSION_COOKIE_NAME"] + "=") for c in response.headers.getlist("Set-Cookie")
    )


def test_every_reader_gets_the_same_page_and_token(app, article):
    first, second = app.test_client(), app.test_client()
    page = first.get(f"/{SLUG}/")
    assert page.data == second.get(f"/{SLUG}/").data
    data = form_fields(page.text) | {"comment": "From a shared page.", "author": "B", "email": "b@example.org"}
    assert second.post(f"/{SLUG}/comments", data=data).status_code == 303


# --- valid: 303 to the pending view --------------------------------------------------------------------


def test_valid_comment_is_held_and_redirected_to_its_pending_view(client, article):
    response = post_comment(
        client,
        comment="A first thought.\n\nSecond paragraph.",
        author="  First Reader ",
        email="First.Reader@Example.ORG",
        url="example.com/me",
    )
    assert response.status_code == 303
    cid, _ = location_ids(response)
    assert response.headers["Location"].startswith(f"/{SLUG}/?unapproved={cid}&moderation-hash=")
    comment = stored(cid)
    assert comment.status is CommentStatus.PENDING
    assert comment.reasons == ["held for moderation"]
    assert comment.author_name == "First Reader"
    assert comment.author_email == "First.Reader@example.org"  # normalised: the domain lower-cased
    assert comment.author_url == "http://example.com/me"
    assert comment.raw_text == "A first thought.\n\nSecond paragraph."
    assert comment.html == "<p>A first thought.</p>\n<p>Second paragraph.</p>"
    assert comment.author_ip == "127.0.0.1"
    assert comment.parent_id is None
    assert comment.approved_at is None


def test_a_stored_comment_is_announced_after_commit(client, app, article):
    """The moderators' notification (blog/moderation/notices.py) listens to posting.comment_posted."""
    heard = []

    def listener(sender, comment):
        heard.append((comment.id, comment.status))

    with posting.comment_posted.connected_to(listener, app):
        cid, _ = location_ids(post_comment(client, comment="Announce me."))
        post_comment(client, email="")  # refused (422): nothing announced
    assert heard == [(cid, CommentStatus.PENDING)]


def test_user_agent_is_stored_truncated(client, article):
    response = client.post(
        f"/{SLUG}/comments",
        data=form_fields(client.get(f"/{SLUG}/").text) | {"comment": "UA", "author": "A", "email": "a@example.org"},
        headers={"User-Agent": "x" * 400},
    )
    assert response.status_code == 303
    assert stored().user_agent == "x" * 255


def test_ip_comes_from_trusted_proxy_header(app_config, db_url):
    from blog import create_app

    app = create_app(app_config | {"TRUSTED_PROXIES": 1})
    with app.app_context():
        db.create_all()
        make_article(SLUG, "On Embassies")
        client = app.test_client()
        html = client.get(f"/{SLUG}/").text
        data = form_fields(html) | {"comment": "Via proxy", "author": "P", "email": "p@example.org"}
        response = client.post(f"/{SLUG}/comments", data=data, headers={"X-Forwarded-For": "203.0.113.7"})
        assert response.status_code == 303
        assert stored().author_ip == "203.0.113.7"
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            db.drop_all()
        db.engine.dispose()


def test_pending_comment_is_shown_only_with_its_hash(client, app, article):
    response = post_comment(client, comment="Only I can see this yet.")
    cid, good = location_ids(response)
    mine = client.get(response.headers["Location"]).text
    assert "Only I can see this yet." in mine
    assert "Your comment is awaiting moderation." in mine
    assert "This is a preview; your comment will be visible after it has been approved." in mine
    assert f'id="comment-{cid}"' in mine
    assert "ada@example.org" not in mine

    other = app.test_client()
    assert "Only I can see this yet." not in other.get(f"/{SLUG}/").text
    forged = good[:-2] + ("00" if not good.endswith("00") else "11")
    for query in [
        f"unapproved={cid}&moderation-hash={forged}",
        f"unapproved={cid}",
        f"unapproved={cid}&moderation-hash=",
        f"unapproved=abc&moderation-hash={good}",
        f"unapproved={cid + 1}&moderation-hash={good}",
        f"moderation-hash={good}",
    ]:
        page = other.get(f"/{SLUG}/?{query}")
        assert page.status_code == 200
        assert "Only I can see this yet." not in page.text, query
    # The hash is the author's to share: another reader with the link sees it too, as in WordPress.
    assert "Only I can see this yet." in other.get(response.headers["Location"]).text


def test_another_comments_hash_does_not_show_this_one(client, article):
    first = post_comment(client, comment="First pending.", email="one@example.org")
    second = post_comment(client, comment="Second pending.", email="two@example.org")
    first_id, _ = location_ids(first)
    _, second_hash = location_ids(second)
    page = client.get(f"/{SLUG}/?unapproved={first_id}&moderation-hash={second_hash}").text
    assert "First pending." not in page and "Second pending." not in page


def test_pending_link_expires(client, app, article):
    response = post_comment(client, comment="Old news.")
    cid, _ = location_ids(response)
    app.config["COMMENT_PENDING_LINK_HOURS"] = 1
    assert "Old news." in client.get(response.headers["Location"]).text
    comment = stored(cid)
    comment.created_at = datetime.now(UTC) - timedelta(hours=2)
    db.session.commit()
    # created_at is part of the hash, so re-sign with the old time to test expiry alone.
    with app.test_request_context():
        location = pending.pending_location(article, stored(cid))
    assert "Old news." not in client.get(location).text


@pytest.mark.parametrize("status", [CommentStatus.SPAM, CommentStatus.TRASH])
def test_pending_link_shows_nothing_once_a_moderator_marks_it_spam_or_trash(client, article, status):
    response = post_comment(client, comment="Buy cheap watches.")
    cid, _ = location_ids(response)
    assert "Buy cheap watches." in client.get(response.headers["Location"]).text
    comment = stored(cid)
    comment.status = status
    db.session.commit()
    page = client.get(response.headers["Location"]).text
    assert "Buy cheap watches." not in page
    assert "Your comment is awaiting moderation." not in page


def test_pending_link_of_a_honeypot_catch_shows_no_preview(client, article):
    response = post_comment(client, comment="A bot wrote this.", phone="555-0100")
    assert response.status_code == 303
    assert stored().status is CommentStatus.SPAM
    page = client.get(response.headers["Location"]).text
    assert "A bot wrote this." not in page and "Your comment is awaiting moderation." not in page


def test_pending_link_of_another_article_shows_nothing(client, article):
    make_article("elsewhere", "Elsewhere")
    response = post_comment(client, comment="Belongs to embassies.")
    cid, h = location_ids(response)
    assert "Belongs to embassies." not in client.get(f"/elsewhere/?unapproved={cid}&moderation-hash={h}").text


def test_pending_reply_is_shown_in_its_thread(client, article):
    parent = make_comment(article, "The parent.")
    response = post_comment(client, comment="My reply.", comment_parent=str(parent.id))
    cid, _ = location_ids(response)
    html = client.get(response.headers["Location"]).text
    start = html.index(f'id="comment-{parent.id}"')
    assert html.index('<ol class="children">', start) < html.index(f'id="comment-{cid}"')


def test_auto_approved_comment_is_public_and_bumps_the_version(client, app, article):
    app.config["COMMENT_MODERATION"] = "none"
    version = article.version
    response = post_comment(client, comment="Straight through.")
    assert response.status_code == 303
    comment = stored()
    assert comment.status is CommentStatus.APPROVED and comment.approved_at is not None
    assert comment.reasons == ["moderation off"]
    fresh = db.session.get(Article, article.id)
    db.session.refresh(fresh)
    assert fresh.version > version
    assert fresh.approved_count == 1
    assert "Straight through." in app.test_client().get(f"/{SLUG}/").text


def test_previously_approved_author_goes_straight_through(client, app, article):
    app.config["COMMENT_MODERATION"] = "previously-approved"
    make_comment(article, "Approved long ago.", email="regular@example.org")
    post_comment(client, comment="Again.", email="Regular@EXAMPLE.org")
    assert stored().status is CommentStatus.PENDING  # the local part keeps its case: another address
    post_comment(client, comment="Once more.", email="regular@Example.org")
    assert stored().status is CommentStatus.APPROVED
    post_comment(client, comment="New here.", email="new@example.org")
    assert stored().reasons == ["first comment from this email"]


# --- 422: invalid fields ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"comment": ""}, "comment", "Please type your comment text."),
        ({"comment": "   \n  "}, "comment", "Please type your comment text."),
        ({"comment": "x" * 65526}, "comment", "Your comment is too long."),
        ({"author": ""}, "author", "Please enter your name."),
        ({"author": "n" * 246}, "author", "Your name is too long."),
        ({"email": ""}, "email", "Please enter your email address."),
        ({"email": "not-an-email"}, "email", "Please enter a valid email address."),
        ({"email": "a@b"}, "email", "Please enter a valid email address."),
        ({"email": "a" * 95 + "@e.org"}, "email", "Your email address is too long."),
        ({"url": "javascript:alert(1)"}, "url", "Please enter a valid website address (http or https)."),
        ({"url": "ftp://example.org/"}, "url", "Please enter a valid website address (http or https)."),
        ({"url": "http://exa mple.org/"}, "url", "Please enter a valid website address (http or https)."),
        ({"url": "http://"}, "url", "Please enter a valid website address (http or https)."),
        ({"url": "https://example.org/" + "p" * 181}, "url", "Your website address is too long."),
    ],
)
def test_invalid_field_is_422_with_message_beside_it_and_text_kept(client, article, fields, field, message):
    typed = {
        "comment": "Every word of this must survive.",
        "author": "Kept Name",
        "email": "kept@example.org",
        "url": "https://kept.example.org/",
    }
    typed.update(fields)
    response = post_comment(client, **typed)
    assert response.status_code == 422
    html = response.text
    tags = Tags(html)
    # In the error summary, linking to the field ...
    summary = html[html.index('class="error-summary"') :]
    assert f'<a href="#{field}">{message}</a>' in summary[: summary.index("</div>")]
    # ... and beside the field, which points at it.
    error = tags.find("span", id=f"{field}-error")
    assert error and message in html
    control = tags.find(id=field)[0]
    assert control["aria-invalid"] == "true"
    assert f"{field}-error" in control["aria-describedby"].split()
    # Everything typed is still there.
    kept = form_fields(html)
    for name, value in typed.items():
        if name != field:
            assert kept[name] == value.strip()
    assert stored() is None


def test_every_invalid_field_is_reported_in_form_order(client, article):
    response = post_comment(client, comment="", author="", email="", url="mailto:me@example.org")
    assert response.status_code == 422
    summary = re.findall(r'<li><a href="#(\w+)">([^<]+)</a></li>', response.text)
    assert summary == [
        ("comment", "Please type your comment text."),
        ("author", "Please enter your name."),
        ("email", "Please enter your email address."),
        ("url", "Please enter a valid website address (http or https)."),
    ]
    assert stored() is None


def test_the_reply_target_is_kept_after_a_422(client, article):
    parent = make_comment(article, "Answer me.", author="Parent Author")
    response = post_comment(client, email="", comment_parent=str(parent.id))
    assert response.status_code == 422
    assert form_fields(response.text)["comment_parent"] == str(parent.id)
    assert "Leave a Reply to" in response.text and "Parent Author" in response.text


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("https://example.org", "https://example.org"),
        ("HTTP://Example.org/a?b=c#d", "HTTP://Example.org/a?b=c#d"),
        ("example.org", "http://example.org"),
        ("", ""),
    ],
)
def test_website_addresses_accepted(client, article, typed, expected):
    assert post_comment(client, url=typed).status_code == 303
    assert stored().author_url == expected


# --- 400: expired or missing CSRF token ---------------------------------------------------------------


@pytest.mark.parametrize("token", ["stale", "", None, "1700000000.abc", "99999999999.0", "١٢٣.é", "1" * 40 + ".x", "."])
def test_bad_token_is_400_with_text_kept_and_a_fresh_token(client, article, token):
    typed = "Typed before the token went stale."
    response = post_comment(client, comment=typed, csrf_token=token)
    assert response.status_code == 400
    assert "Your session expired. Please submit your comment again." in response.text
    kept = form_fields(response.text)
    assert kept["comment"] == typed and kept["author"] == "Ada Reader"
    assert stored() is None
    # The fresh token works: submitting the kept form stores the comment.
    again = client.post(f"/{SLUG}/comments", data=kept)
    assert again.status_code == 303


def test_expired_token_is_400(client, app, article, monkeypatch):
    html = client.get(f"/{SLUG}/").text
    app.config["WTF_CSRF_TIME_LIMIT"] = 60
    real = csrf.time.time
    # Taken for the lifetime after its window (here as long as the lifetime) ends: at most twice the lifetime.
    monkeypatch.setattr(csrf.time, "time", lambda: real() + 2 * 60 + 1)
    data = form_fields(html) | {"comment": "Late.", "author": "A", "email": "a@example.org"}
    response = client.post(f"/{SLUG}/comments", data=data)
    assert response.status_code == 400
    assert form_fields(response.text)["comment"] == "Late."


def test_a_token_lasts_at_least_its_lifetime(client, app, article, monkeypatch):
    html = client.get(f"/{SLUG}/").text
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    real = csrf.time.time
    monkeypatch.setattr(csrf.time, "time", lambda: real() + 3600)
    data = form_fields(html) | {"comment": "Written slowly.", "author": "A", "email": "a@example.org"}
    assert client.post(f"/{SLUG}/comments", data=data).status_code == 303


def test_token_is_bound_to_its_article(app, client, article):
    make_article(slug="another-article")
    token = form_fields(client.get("/another-article/").text)["csrf_token"]
    data = form_fields(client.get(f"/{SLUG}/").text) | {
        "csrf_token": token,
        "comment": "Forged.",
        "author": "M",
        "email": "m@example.org",
    }
    response = client.post(f"/{SLUG}/comments", data=data)
    assert response.status_code == 400
    assert response.headers.getlist("Set-Cookie") == []
    assert form_fields(response.text)["comment"] == "Forged."
    with app.app_context():
        assert stored() is None


# --- 403: posted from another site ------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://localhost:8080"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"},
    ],
)
def test_a_post_from_another_site_is_403_with_everything_typed_kept(client, article, headers):
    typed = "Posted through a form on another site."
    response = post_comment(client, comment=typed, url="https://ada.example", headers=headers)
    assert response.status_code == 403
    assert posting.CROSS_SITE in response.text
    assert response.headers["Cache-Control"] == "no-store"
    kept = form_fields(response.text)
    assert (kept["comment"], kept["author"], kept["email"], kept["url"]) == (
        typed,
        "Ada Reader",
        "ada@example.org",
        "https://ada.example",
    )
    assert stored() is None
    assert client.post(f"/{SLUG}/comments", data=kept).status_code == 303  # posted again from here


@pytest.mark.parametrize(
    "headers",
    [
        None,  # curl, old browsers, scripts: they say nothing, and the token still holds
        {"Origin": "http://localhost"},
        {"Origin": "HTTP://LOCALHOST/"},
        {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "none"},
    ],
)
def test_a_post_from_this_site_or_saying_nothing_is_taken(client, article, headers):
    assert post_comment(client, headers=headers).status_code == 303


def test_behind_a_proxy_the_origin_is_the_one_the_proxy_forwards(app_config):
    app = app_with_tables(app_config | {"TRUSTED_PROXIES": 1})
    try:
        with app.app_context():
            make_article(SLUG)
        client = app.test_client()
        proxy = {"X-Forwarded-Host": "blog.example.org", "X-Forwarded-Proto": "https"}
        ours = post_comment(client, headers=proxy | {"Origin": "https://blog.example.org"})
        assert ours.status_code == 303
        inner = post_comment(client, comment="Other words.", headers=proxy | {"Origin": "http://localhost"})
        assert inner.status_code == 403
    finally:
        drop_app(app)


# --- 409 duplicate -----------------------------------------------------------------------------------


def test_duplicate_is_409_on_the_article_page(client, article):
    assert post_comment(client, comment="Exactly the same words twice.").status_code == 303
    response = post_comment(client, comment="Exactly the same words twice.")
    assert response.status_code == 409
    assert "Duplicate comment detected; it looks as though you’ve already said that!" in response.text
    assert form_fields(response.text)["comment"] == "Exactly the same words twice."
    assert re.search(r"<h1[^>]*>On Embassies</h1>", response.text)  # the article page, not a dead end
    assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 1


@pytest.mark.parametrize(
    ("second", "duplicate"),
    [
        ({"author": "Ada Reader", "email": "other@example.org"}, True),  # same name
        ({"author": "Someone Else", "email": "ada@example.org"}, True),  # same email
        ({"author": "Someone Else", "email": "other@example.org"}, False),
        ({"comment": "Different words."}, False),
    ],
)
def test_duplicate_rule(client, article, second, duplicate):
    post_comment(client, comment="Same words.")
    fields = {"comment": "Same words."} | second
    assert post_comment(client, **fields).status_code == (409 if duplicate else 303)


@pytest.mark.parametrize(
    "second",
    [
        {"email": "ADA@example.org", "author": "Someone Else"},  # the email in other letter case
        {"email": "Ada@Example.ORG", "author": "Someone Else"},
        {"comment": "Same  words."},  # doubled space
        {"comment": "same WORDS."},  # other letter case
        {"comment": "Same\u200b words.\u2060"},  # zero-width characters
        {"comment": "\ufeffSame\u00a0words.\u200d"},
        {"comment": "Same\nwords."},  # a line break for a space
        {"comment": "Ｓａｍｅ words."},  # full-width letters
    ],
)
def test_duplicate_rule_compares_normalised_email_and_text(client, article, second):
    assert post_comment(client, comment="Same words.").status_code == 303
    fields = {"comment": "Same words."} | second
    response = post_comment(client, **fields)
    assert response.status_code == 409
    assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 1


def test_different_words_are_not_a_duplicate_however_normalised(client, article):
    assert post_comment(client, comment="Same words.").status_code == 303
    assert post_comment(client, comment="Same words!").status_code == 303
    assert post_comment(client, comment="Samewords.").status_code == 303


def test_a_moderators_edit_moves_the_duplicate_check_to_the_new_words(client, article):
    comment = make_comment(article, "Old words.", email="ada@example.org", status=CommentStatus.PENDING)
    comment.raw_text = "New words."
    db.session.commit()
    assert post_comment(client, comment="Old words.").status_code == 303
    assert post_comment(client, comment="NEW words.", author="Someone Else").status_code == 409


def test_duplicate_of_a_trashed_comment_or_under_another_parent_is_allowed(client, article):
    parent = make_comment(article, "Parent.")
    post_comment(client, comment="Same words.")
    assert post_comment(client, comment="Same words.", comment_parent=str(parent.id)).status_code == 303
    for comment in db.session.scalars(sa.select(Comment).where(Comment.raw_text == "Same words.")):
        comment.status = CommentStatus.TRASH
    db.session.commit()
    assert post_comment(client, comment="Same words.").status_code == 303


# --- 429 flood ----------------------------------------------------------------------------------------


def test_flood_is_429_with_retry_after(client, app, article):
    app.config["COMMENT_FLOOD_SECONDS"] = 15
    assert post_comment(client, comment="One comment.", email="fast@example.org").status_code == 303
    response = post_comment(app.test_client(), comment="Another, too soon.", email="fast@example.org")
    assert response.status_code == 429
    wait = int(response.headers["Retry-After"])
    assert 1 <= wait <= 15
    # SPEC's words, then how long to wait, as the Retry-After header says to a browser.
    assert f"You are posting comments too quickly. Slow down. Try again in {wait} seconds." in response.text
    assert form_fields(response.text)["comment"] == "Another, too soon."


@pytest.mark.parametrize(("wait", "words"), [(1, "Try again in 1 second."), (14, "Try again in 14 seconds.")])
def test_the_flood_message_says_how_long_to_wait(wait, words):
    assert posting.flood_message(wait) == f"You are posting comments too quickly. Slow down. {words}"


def client_from(app, ip):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def test_flood_counts_the_same_ip_or_the_same_email(app, article):
    app.config["COMMENT_FLOOD_SECONDS"] = 15
    make_comment(
        article,
        "Recent, from an IP.",
        status=CommentStatus.PENDING,
        ip="198.51.100.1",
        email="x@example.org",
        age=timedelta(0),
    )
    from_same_ip = client_from(app, "198.51.100.1")
    assert post_comment(from_same_ip, email="y@example.org").status_code == 429
    elsewhere = client_from(app, "198.51.100.2")
    assert post_comment(elsewhere, email="x@example.org").status_code == 429
    assert post_comment(elsewhere, email="z@example.org").status_code == 303


def test_flood_compares_the_email_in_any_letter_case(app, article):
    app.config["COMMENT_FLOOD_SECONDS"] = 15
    make_comment(
        article, "Recent.", status=CommentStatus.PENDING, ip="198.51.100.1", email="x@example.org", age=timedelta(0)
    )
    response = post_comment(client_from(app, "198.51.100.2"), email="X@Example.org")
    assert response.status_code == 429


def test_flood_window_passes(app, article):
    app.config["COMMENT_FLOOD_SECONDS"] = 15
    make_comment(article, "A while ago.", ip="127.0.0.1", created_at=datetime.now(UTC) - timedelta(seconds=16))
    assert post_comment(app.test_client()).status_code == 303


def test_flood_setting_zero_turns_it_off(client, app, article):
    app.config["COMMENT_FLOOD_SECONDS"] = 0
    assert post_comment(client, comment="One.").status_code == 303
    assert post_comment(client, comment="Two.").status_code == 303


# --- 403 closed, 403 parent ----------------------------------------------------------------------------


def test_closed_article_is_403_and_shows_no_form(client, ctx):
    make_article(SLUG, "On Embassies", comments_open=False)
    page = client.get(f"/{SLUG}/").text
    assert "Comments are closed." in page and 'id="commentform"' not in page
    response = client.post(f"/{SLUG}/comments", data={"comment": "Too late.", "author": "A", "email": "a@example.org"})
    assert response.status_code == 403
    assert "Sorry, comments are closed for this item." in response.text
    assert stored() is None


def test_comments_close_after_close_comments_days(client, app, ctx):
    make_article(SLUG, "On Embassies", days_old=10)
    app.config["CLOSE_COMMENTS_DAYS"] = 14
    assert 'id="commentform"' in client.get(f"/{SLUG}/").text
    html = client.get(f"/{SLUG}/").text
    app.config["CLOSE_COMMENTS_DAYS"] = 7
    data = form_fields(html) | {"comment": "Old.", "author": "A", "email": "a@example.org"}
    response = client.post(f"/{SLUG}/comments", data=data)
    assert response.status_code == 403
    assert "Sorry, comments are closed for this item." in response.text
    assert "Comments are closed." in client.get(f"/{SLUG}/").text


@pytest.mark.parametrize(
    "case",
    [
        "other-article",
        "pending",
        "spam",
        "trashed",
        "missing",
        "text",
        "negative",
        "huge",
        "float",
        "spaces",
        "arabic-digits",
    ],
)
def test_reply_to_a_comment_that_is_not_approved_here_is_403(client, article, case):
    other = make_article("elsewhere", "Elsewhere")
    values = {
        "other-article": lambda: make_comment(other, "Elsewhere.").id,
        "pending": lambda: make_comment(article, "Held.", status=CommentStatus.PENDING).id,
        "spam": lambda: make_comment(article, "Spam.", status=CommentStatus.SPAM).id,
        "trashed": lambda: make_comment(article, "Trash.", status=CommentStatus.TRASH).id,
        "missing": lambda: 4242,
        "text": lambda: "abc",
        "negative": lambda: "-1",
        "huge": lambda: "9" * 30,
        "float": lambda: "1.5",
        "spaces": lambda: "1 2",
        "arabic-digits": lambda: "١",
    }
    typed = "My reply, kept."
    response = post_comment(client, comment=typed, comment_parent=str(values[case]()))
    assert response.status_code == 403
    assert "Sorry, replies to unapproved comments are not allowed." in response.text
    kept = form_fields(response.text)
    assert kept["comment"] == typed and kept["comment_parent"] == "0"
    assert db.session.scalar(sa.select(sa.func.count(Comment.id)).where(Comment.raw_text == typed)) == 0


def test_reply_to_an_approved_comment_is_stored_under_it(client, article):
    parent = make_comment(article, "Approved parent.")
    response = post_comment(client, comment="Child.", comment_parent=str(parent.id))
    assert response.status_code == 303
    assert stored().parent_id == parent.id


# --- 405, 413, 404 --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_other_methods_are_405(client, article, method):
    response = client.open(f"/{SLUG}/comments", method=method)
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_body_over_the_limit_is_413_with_a_message(client, app, article):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    response = post_comment(client, comment="x" * 20_000)
    assert response.status_code == 413
    assert "larger than this site accepts" in response.text


def test_unknown_article_is_404(client, ctx):
    assert client.post("/nowhere/comments", data={}).status_code == 404


# --- the honeypot ----------------------------------------------------------------------------------


def test_filled_honeypot_is_stored_as_spam_but_answered_like_a_valid_post(client, article):
    bot = post_comment(client, comment="Cheap watches.", phone="555-0100")
    assert bot.status_code == 303
    cid, _ = location_ids(bot)
    comment = stored(cid)
    assert comment.status is CommentStatus.SPAM and comment.reasons == ["honeypot"]
    person = post_comment(client, comment="A real thought.", email="real@example.org")
    assert person.status_code == 303
    assert {name for name, _ in bot.headers} == {name for name, _ in person.headers}


# --- the consent cookie --------------------------------------------------------------------------------


def test_consent_remembers_name_email_and_website(client, article):
    response = post_comment(
        client,
        comment="Remember me.",
        author="Ada",
        email="Ada@Example.org",
        url="https://ada.example.org/",
        **{"wp-comment-cookies-consent": "yes"},
    )
    assert response.status_code == 303
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("comment_author="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=31536000" in cookie
    page = client.get(f"/{SLUG}/").text
    fields = form_fields(page)
    assert fields["author"] == "Ada"
    assert fields["email"] == "Ada@Example.org"
    assert fields["url"] == "https://ada.example.org/"
    assert fields["wp-comment-cookies-consent"] == "yes"
    # With the cookie set, the pending view does not add the preview sentence.
    pending = client.get(response.headers["Location"]).text
    assert "Your comment is awaiting moderation." in pending
    assert "This is a preview" not in pending
    # Unticked on the next comment: forgotten.
    response = post_comment(
        client,
        comment="Forget me.",
        author="Ada",
        email="ada@example.org",
        **{"wp-comment-cookies-consent": None},
    )
    assert any(c.startswith("comment_author=;") for c in response.headers.getlist("Set-Cookie"))
    fields = form_fields(client.get(f"/{SLUG}/").text)
    assert fields["author"] == "" and "wp-comment-cookies-consent" not in fields


def test_without_consent_nothing_is_remembered(client, article):
    response = post_comment(client, comment="Do not remember.")
    assert not any(c.startswith("comment_author=") for c in response.headers.getlist("Set-Cookie"))
    assert form_fields(client.get(f"/{SLUG}/").text)["author"] == ""


def test_a_forged_consent_cookie_is_ignored(client, article):
    client.set_cookie("comment_author", "eyJhdXRob3IiOiJFdmUifQ.forged")
    assert form_fields(client.get(f"/{SLUG}/").text)["author"] == ""
