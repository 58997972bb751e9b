"""Commenters in the loop (SPEC §12): opt-in notices through a real SMTP server (aiosmtpd), one-click
unsubscribe, the edit window, and Preview."""

import re
import time
from datetime import timedelta

import pytest

from blog.comments import editing, outbox
from blog.core import keys
from blog.core.extensions import db
from blog.core.models import Comment, CommentStatus, ModerationEvent
from blog.core.records import MailOptOut, Notice
from scripts.live import form_fields
from tests.actions import act, events_of, location_ids, login, post_comment, status_of
from tests.factories import make_article, make_moderator
from tests.test_notify import free_port, smtp  # noqa: F401 (a fixture)

OPT_IN = {"notify-approved": "yes", "subscribe": "yes"}


@pytest.fixture
def mail_app(app_config, smtp):  # noqa: F811
    """The blog with a running mail server: yields (app, client, inbox)."""
    from tests.conftest import app_with_tables, drop_app

    inbox, port = smtp()
    app_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_FROM="blog@example.org", MAIL_TIMEOUT=2)
    app_config.update(COMMENT_FLOOD_SECONDS=0)
    app = app_with_tables(app_config)
    with app.app_context():
        make_article("on-embassies", "On Embassies")
        make_moderator()
    yield app, app.test_client(), inbox
    _quiet(app)
    drop_app(app)


def _quiet(app, seconds=10):
    """Wait for this app's outbox thread to finish what it has."""
    state = app.extensions.get("outbox") or {}
    thread = state.get("thread")
    if thread is not None:
        thread.join(seconds)


def mails_to(inbox, address, count=1, wait=8):
    end = time.monotonic() + wait
    while time.monotonic() < end:
        got = [m for _, to, m in inbox.messages if address in to]
        if len(got) >= count:
            return got
        time.sleep(0.05)
    return [m for _, to, m in inbox.messages if address in to]


def posted(client, text, author, email, **extra):
    response = post_comment(client, comment=text, author=author, email=email, **extra)
    assert response.status_code == 303, response.text[:300]
    return location_ids(response)[0]


def approve(app, comment_id):
    moderator = app.test_client()
    login(moderator)
    assert act(moderator, comment_id, "approve").status_code == 303


def test_no_opt_in_boxes_when_the_blog_sends_no_mail(client, article):
    page = client.get("/on-embassies/").text
    assert 'name="notify-approved"' not in page and 'name="subscribe"' not in page
    assert '<input name="preview" type="submit" id="preview" class="submit button--secondary" value="Preview">' in page


def test_the_opt_in_boxes_are_offered_unticked(mail_app):
    page = mail_app[1].get("/on-embassies/").text
    for name, label in (
        ("notify-approved", "Notify me when my comment is approved"),
        ("subscribe", "Notify me of replies by email"),
    ):
        box = re.search(rf'<input id="{name}" name="{name}" type="checkbox"[^>]*>', page).group(0)
        assert "checked" not in box and label in page


def test_approval_and_reply_notices_reach_only_who_asked(mail_app, fast_hashing):
    app, client, inbox = mail_app
    amy = posted(client, "A question about the date.", "Amy", "amy@example.org", **OPT_IN)
    approve(app, amy)
    [approved] = mails_to(inbox, "amy@example.org")
    assert "is approved" in approved["Subject"]
    assert "A question about the date." in approved.get_content()

    ben = posted(app.test_client(), "It was November.", "Ben", "ben@example.org", comment_parent=str(amy))
    approve(app, ben)
    mails = mails_to(inbox, "amy@example.org", count=2)
    assert len(mails) == 2
    reply = mails[1]
    assert "A reply to your comment" in reply["Subject"]
    assert re.fullmatch(r"<https?://localhost/unsubscribe/\d+\.[0-9a-f]{32}>", reply["List-Unsubscribe"].strip())
    assert reply["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    raw = reply.as_string()
    assert "ben@example.org" not in raw and "Ben" in reply.get_content() and "It was November." in reply.get_content()

    # Approving again (after Unapprove) tells nobody twice; Ben never asked for anything.
    moderator = app.test_client()
    login(moderator)
    act(moderator, ben, "unapprove")
    act(moderator, ben, "approve")
    _quiet(app)
    assert len(mails_to(inbox, "amy@example.org", wait=0.5)) == 2
    assert mails_to(inbox, "ben@example.org", wait=0.5) == []


def test_no_notice_for_a_pending_or_spam_reply_nor_for_ones_own(mail_app, fast_hashing):
    app, client, inbox = mail_app
    amy = posted(client, "Tell me of answers.", "Amy", "amy@example.org", subscribe="yes")
    approve(app, amy)
    held = posted(app.test_client(), "Held answer.", "Ben", "ben@example.org", comment_parent=str(amy))
    spam = posted(app.test_client(), "Spam answer.", "Cleo", "cleo@example.org", comment_parent=str(amy))
    own = posted(app.test_client(), "My own follow-up.", "Amy", "amy@example.org", comment_parent=str(amy))
    moderator = app.test_client()
    login(moderator)
    act(moderator, spam, "spam")
    approve(app, own)
    _quiet(app)
    assert mails_to(inbox, "amy@example.org", wait=0.5) == []
    with app.app_context():
        assert status_of(held) is CommentStatus.PENDING
        assert db.session.scalar(db.select(db.func.count(Notice.id))) == 1  # the own reply's, not sent
        assert db.session.scalar(db.select(Notice.last_error)) == "not sent: no longer asked for"


def unsubscribe_url(message, app):
    url = re.fullmatch(r"<(.+)>", message["List-Unsubscribe"].strip()).group(1)
    return re.sub(r"^https?://[^/]+", "", url)


def test_one_click_unsubscribe_stops_the_thread_and_a_get_changes_nothing(mail_app, fast_hashing):
    app, client, inbox = mail_app
    amy = posted(client, "Keep me posted.", "Amy", "amy@example.org", **OPT_IN)
    approve(app, amy)
    ben = posted(app.test_client(), "An answer.", "Ben", "ben@example.org", comment_parent=str(amy))
    approve(app, ben)
    notice = mails_to(inbox, "amy@example.org", count=2)[1]
    path = unsubscribe_url(notice, app)

    reader = app.test_client()
    page = reader.get(path)  # what a mail scanner does: nothing changes
    assert page.status_code == 200 and "Unsubscribe from this thread" in page.text
    assert "amy@example.org" not in page.text
    with app.app_context():
        assert db.session.get(Comment, amy).notify_replies is True
    assert reader.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    with app.app_context():
        assert db.session.get(Comment, amy).notify_replies is False

    cleo = posted(app.test_client(), "Another answer.", "Cleo", "cleo@example.org", comment_parent=str(amy))
    approve(app, cleo)
    _quiet(app)
    assert len(mails_to(inbox, "amy@example.org", wait=0.5)) == 2


def test_unsubscribe_from_everything_and_tokens_that_are_not_ours(mail_app, fast_hashing):
    app, client, inbox = mail_app
    first = posted(client, "First comment.", "Amy", "amy@example.org", **OPT_IN)
    approve(app, first)
    path = unsubscribe_url(mails_to(inbox, "amy@example.org")[0], app)
    second = posted(app.test_client(), "Second comment.", "Amy", "amy@example.org", **OPT_IN)
    reader = app.test_client()
    assert reader.post(path, data={"scope": "all"}).status_code == 200
    approve(app, second)
    _quiet(app)
    assert len(mails_to(inbox, "amy@example.org", wait=0.5)) == 1
    with app.app_context():
        assert db.session.get(MailOptOut, keys.email_index("amy@example.org")) is not None
    comment_id, digest = path.rsplit("/", 1)[1].split(".")
    forged = f"/unsubscribe/{second}.{digest}"  # another comment (here, the same address's) with this digest
    tampered = f"/unsubscribe/{comment_id}.{'0' * 32}"
    for url in (forged, tampered, "/unsubscribe/nothing"):
        assert reader.get(url).status_code == 404
        assert reader.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 404


def test_a_notice_queued_while_the_mail_server_is_down_goes_out_when_it_is_back(app_config, monkeypatch, fast_hashing):
    from tests.conftest import app_with_tables, drop_app

    port = free_port()  # nothing listens there yet
    app_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_FROM="blog@example.org", MAIL_TIMEOUT=2)
    monkeypatch.setattr(outbox, "RETRY_SECONDS", 0.2)
    app = app_with_tables(app_config)
    try:
        with app.app_context():
            make_article("on-embassies", "On Embassies")
            make_moderator()
        client = app.test_client()
        amy = posted(client, "While the server is down.", "Amy", "amy@example.org", **OPT_IN)
        started = time.monotonic()
        approve(app, amy)
        assert time.monotonic() - started < 2  # the moderator does not wait for the mail server
        with app.app_context():
            for _ in range(100):
                db.session.rollback()
                notice = db.session.scalar(db.select(Notice))
                if notice.attempts >= 1:
                    break
                time.sleep(0.05)
            assert notice.attempts >= 1 and notice.sent_at is None and notice.last_error
        inbox, controller = smtp_on(port)
        try:
            assert mails_to(inbox, "amy@example.org", wait=15)
        finally:
            controller.stop()
        _quiet(app)
        with app.app_context():
            notice = db.session.scalar(db.select(Notice))
            assert notice.sent_at is not None and notice.last_error == ""
    finally:
        _quiet(app)
        drop_app(app)


def smtp_on(port):
    """Start the test SMTP server on this very port; return (inbox, controller)."""
    from aiosmtpd.controller import Controller

    from tests.test_notify import Inbox

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return inbox, controller


def test_backoff_doubles_and_is_capped():
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3)] == [10, 20, 40]
    assert outbox.backoff(30).total_seconds() == outbox.MAX_RETRY_SECONDS


# The edit window


def edit_form(page: str, comment_id: int) -> dict:
    match = re.search(rf'<form action="(/[^"]+/comments/{comment_id}/edit)"', page)
    assert match, "no edit form"
    return match.group(1), form_fields(page, f"comment-edit-{comment_id}")


def test_the_author_edits_within_the_window_and_the_rules_decide_again(app_config, fast_hashing):
    from tests.conftest import app_with_tables, drop_app

    app_config.update(COMMENT_MODERATION="none", COMMENT_FLOOD_SECONDS=0)
    app = app_with_tables(app_config)
    try:
        with app.app_context():
            make_article("on-embassies", "On Embassies")
        eve = app.test_client()
        response = post_comment(eve, comment="Typo in thsi comment.", author="Eve", email="eve@example.org")
        assert response.status_code == 303
        cid = int(re.search(r"#comment-(\d+)", response.headers["Location"]).group(1))
        with app.app_context():
            assert status_of(cid) is CommentStatus.APPROVED
        page = eve.get("/on-embassies/").text  # the article itself, not a cached copy
        action, data = edit_form(page, cid)
        data["comment"] = "Fixed, with links: https://a.example.org/ https://b.example.org/"
        answer = eve.post(action, data=data)
        assert answer.status_code == 303
        with app.app_context():
            comment = db.session.get(Comment, cid)
            assert comment.raw_text.startswith("Fixed"), (comment.raw_text, answer.headers)
            assert comment.status is CommentStatus.PENDING and comment.reasons == ["2 links"]
            assert 'rel="nofollow ugc"' in comment.html and comment.edited_at is not None
            [event] = events_of(cid)
            assert (event.action, event.moderator_name) == ("edit", "the author")
            assert event.detail == "in the edit window (2 links); the text was: Typo in thsi comment."
            assert (event.from_status, event.to_status) == ("approved", "pending")
        assert "Fixed, with links" not in app.test_client().get("/on-embassies/").text

        stranger = app.test_client()
        token = form_fields(stranger.get("/on-embassies/").text)
        assert stranger.post(action, data={**token, "comment": "hijack"}).status_code == 403
        assert stranger.post(action.replace("/edit", "/delete"), data=token).status_code == 403
        assert f"comments/{cid}/edit" not in stranger.get("/on-embassies/").text
    finally:
        drop_app(app)


def test_an_edit_or_delete_from_another_site_is_403_with_the_text_kept(client, article):
    response = post_comment(client, comment="Typed here.", author="Eve", email="eve@example.org")
    cid, _ = location_ids(response)
    action, data = edit_form(client.get(response.headers["Location"]).text, cid)
    cross_site = {"Sec-Fetch-Site": "cross-site"}
    refused = client.post(action, data={**data, "comment": "Edited elsewhere."}, headers=cross_site)
    assert refused.status_code == 403
    assert "was sent to us from another website" in refused.text
    assert ">Edited elsewhere.</textarea>" in refused.text
    delete = action.replace("/edit", "/delete")
    assert client.post(delete, data=data, headers={"Origin": "https://evil.example"}).status_code == 403
    db.session.rollback()
    assert db.session.get(Comment, cid).raw_text == "Typed here."


def test_after_the_window_nothing_is_offered_and_a_post_is_refused(client, article, monkeypatch):
    response = post_comment(client, comment="Too late to fix.", author="Eve", email="eve@example.org")
    cid, _ = location_ids(response)
    page = client.get(response.headers["Location"]).text
    action, data = edit_form(page, cid)
    later = db.session.get(Comment, cid).created_at + timedelta(minutes=15, seconds=1)
    monkeypatch.setattr(editing, "utcnow", lambda: later)
    assert f"/comments/{cid}/edit" not in client.get(response.headers["Location"]).text
    assert client.post(action, data={**data, "comment": "Fixed?"}).status_code == 403
    db.session.rollback()
    assert db.session.get(Comment, cid).raw_text == "Too late to fix."


def test_the_author_deletes_within_the_window(client, article):
    response = post_comment(client, comment="Posted by mistake.", author="Eve", email="eve@example.org")
    cid, _ = location_ids(response)
    page = client.get(response.headers["Location"]).text
    match = re.search(rf'<form action="(/[^"]+/comments/{cid}/delete)"', page)
    assert client.post(match.group(1), data=form_fields(page, f"comment-delete-{cid}")).status_code == 303
    assert status_of(cid) is None
    [event] = db.session.scalars(db.select(ModerationEvent)).all()
    assert (event.action, event.moderator_name, event.to_status) == ("delete", "the author", "deleted")
    assert event.detail == f"Comment #{cid} by Eve, deleted by its author"


# Preview


def test_preview_shows_the_comment_as_it_will_be_and_stores_nothing(client, article):
    response = post_comment(
        client,
        comment="Preview me *please*, https://example.org/x <script>x</script>",
        author="Dora",
        email="dora@example.org",
        url="dora.example",
        preview="Preview",
    )
    assert response.status_code == 200
    preview = re.search(r'<section id="comment-preview".*?</section>\s*<form', response.text, re.S).group(0)
    assert '<a href="https://example.org/x" rel="nofollow ugc">https://example.org/x</a>' in preview
    assert '<a href="http://dora.example" class="url" rel="external nofollow ugc">Dora</a>' in preview
    assert "<script>" not in preview and 'class="avatar"' in preview
    assert "dora@example.org" not in preview
    assert 'value="dora@example.org"' in response.text  # the form, as typed, below it
    assert db.session.scalar(db.select(db.func.count(Comment.id))) == 0


def test_a_preview_of_an_invalid_comment_shows_the_errors(client, article):
    response = post_comment(client, comment="", author="Dora", email="dora@example.org", preview="Preview")
    assert response.status_code == 422 and 'id="comment-preview"' not in response.text


def test_a_moderators_reply_approves_and_answers_in_two_notices(mail_app, fast_hashing):
    from blog.core.models import Moderator
    from blog.moderation import actions

    app, client, inbox = mail_app
    amy = posted(client, "A question for the editors.", "Amy", "amy@example.org", **OPT_IN)
    with app.test_request_context(base_url="https://blog.example"):
        moderator = db.session.scalar(db.select(Moderator))
        actions.reply(db.session.get(Comment, amy), "Here is the answer.", moderator)
    mails = mails_to(inbox, "amy@example.org", count=2)
    assert sorted(m["Subject"].split("] ")[1] for m in mails) == [
        "A reply to your comment on “On Embassies”",
        "Your comment on “On Embassies” is approved",
    ]
    assert all(m["List-Unsubscribe"].strip().startswith("<https://blog.example/unsubscribe/") for m in mails)
    assert all("mod@example.org" not in m.as_string() for m in mails)


def test_an_auto_approved_reply_is_announced_from_the_post_path(mail_app, fast_hashing):
    app, client, inbox = mail_app
    app.config["COMMENT_MODERATION"] = "none"
    amy = posted(client, "Approved at once.", "Amy", "amy@example.org", subscribe="yes")
    response = post_comment(app.test_client(), comment="And so is this answer.", author="Ben",
                            email="ben@example.org", comment_parent=str(amy))  # fmt: skip
    assert response.status_code == 303
    [notice] = mails_to(inbox, "amy@example.org")
    assert "And so is this answer." in notice.get_content() and "ben@example.org" not in notice.as_string()
    assert mails_to(inbox, "ben@example.org", wait=0.2) == []
