"""Held-comment emails, against a real SMTP server the test starts; a slow or dead server costs the comment
nothing."""

import logging
import socket
import threading
import time
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from blog.core.extensions import db
from blog.core.models import Comment, CommentStatus
from blog.moderation import notices
from tests.factories import make_article, make_comment


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps what it receives; ``delay`` seconds of silence before answering DATA."""

    def __init__(self, delay=0.0):
        self.delay = delay
        self.messages = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            time.sleep(self.delay)  # blocks the server's loop: a server that hangs, as slow ones do
        self.messages.append(
            (envelope.mail_from, envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default))
        )
        self.arrived.set()
        return "250 OK"


@pytest.fixture
def smtp():
    """Start an SMTP server on a free port; yields (inbox, port)."""
    started = []

    def start(delay=0.0):
        inbox = Inbox(delay)
        controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
        controller.start()
        started.append(controller)
        return inbox, controller.port

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def caplog(caplog, monkeypatch):
    """pytest's caplog, with our logger enabled again (alembic's fileConfig in another test disables it)."""
    monkeypatch.setattr(notices.log, "disabled", False)
    return caplog


@pytest.fixture
def mail_config(app_config):
    """Set the mail settings; the port is filled in by each test."""
    app_config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_FROM="blog@example.org",
        MODERATOR_EMAILS="ann@example.org, bob@example.org",
        MAIL_TIMEOUT=2,
        SERVER_NAME="blog.test",
    )
    return app_config


def held_comment(status=CommentStatus.PENDING):
    """Hold a comment on a fresh article; return its id."""
    article = make_article("a-fine-article", "On Embassies")
    return make_comment(
        article,
        "Is this\nheld?",
        status=status,
        author="Quinn",
        email="quinn@example.org",
        ip="203.0.113.7",
        reasons=["2 links", "held for moderation"],
    ).id


def test_one_email_per_held_comment_with_what_a_moderator_needs(mail_config, app, smtp):
    inbox, port = smtp()
    app.config["MAIL_PORT"] = port
    with app.test_request_context("/a-fine-article/comments", base_url="https://blog.test"):
        thread = notices.notify_held(held_comment())
        thread.join(5)
    assert inbox.arrived.wait(5)
    assert len(inbox.messages) == 1
    sender, recipients, message = inbox.messages[0]
    assert sender == "blog@example.org"
    assert recipients == ["ann@example.org", "bob@example.org"]
    assert message["Subject"] == "[Field Notes] Please moderate: “On Embassies”"
    body = message.get_content().replace("\r\n", "\n")
    assert "Is this\nheld?" in body
    assert "Author: Quinn (IP address: 203.0.113.7)" in body and "quinn@example.org" in body
    assert "Why it was held: 2 links, held for moderation" in body
    assert "https://blog.test/admin/comments?status=pending" in body
    assert "https://blog.test/a-fine-article/" in body
    assert "1 comment is waiting for approval." in body


@pytest.mark.parametrize("missing", ["MAIL_SERVER", "MAIL_FROM", "MODERATOR_EMAILS"])
def test_nothing_is_sent_without_every_setting(mail_config, missing, app, smtp):
    inbox, port = smtp()
    app.config.update(MAIL_PORT=port, **{missing: None if missing != "MODERATOR_EMAILS" else ()})
    with app.test_request_context():
        assert notices.notify_held(held_comment()) is None
    assert inbox.messages == []


@pytest.mark.parametrize("status", [CommentStatus.APPROVED, CommentStatus.SPAM, CommentStatus.TRASH])
def test_only_pending_comments_are_announced(mail_config, app, smtp, status):
    inbox, port = smtp()
    app.config["MAIL_PORT"] = port
    with app.test_request_context():
        assert notices.notify_held(held_comment(status=status)) is None


def test_a_dead_server_loses_nothing_and_logs(mail_config, app, caplog):
    app.config["MAIL_PORT"] = free_port()  # nothing listens there
    with app.test_request_context():
        cid = held_comment()
        started = time.monotonic()
        thread = notices.notify_held(cid)
        assert time.monotonic() - started < 1.5  # generous for a loaded machine; nothing here waits on SMTP
        thread.join(10)
        assert db.session.get(Comment, cid).status is CommentStatus.PENDING
    assert any("could not email the moderators" in r.message and r.levelno == logging.ERROR for r in caplog.records)


def test_a_slow_server_does_not_delay_the_comment(mail_config, app, smtp, caplog):
    inbox, port = smtp(delay=3)  # longer than MAIL_TIMEOUT: the send gives up, the comment does not wait
    app.config["MAIL_PORT"] = port
    with app.test_request_context():
        cid = held_comment()
        started = time.monotonic()
        thread = notices.notify_held(cid)
        assert time.monotonic() - started < 1.5  # well under the server's 3 s and the 2 s timeout
        assert thread.daemon and thread.is_alive()
        assert db.session.get(Comment, cid).status is CommentStatus.PENDING
        thread.join(10)
    assert any("could not email the moderators" in r.message for r in caplog.records)


def test_a_slow_server_within_the_timeout_still_delivers(mail_config, app, smtp):
    inbox, port = smtp(delay=1.5)  # slow, but within MAIL_TIMEOUT
    app.config["MAIL_PORT"] = port
    with app.test_request_context():
        cid = held_comment()
        started = time.monotonic()
        thread = notices.notify_held(cid)
        assert time.monotonic() - started < 1.0
        assert thread.is_alive()  # the sending goes on after the caller has its answer
        thread.join(10)
    assert inbox.arrived.wait(5) and len(inbox.messages) == 1


def test_a_comment_posted_through_the_form_is_announced(mail_config, app, client, smtp):
    from scripts.live import form_fields

    inbox, port = smtp()
    app.config["MAIL_PORT"] = port
    with app.app_context():
        make_article(title="On Embassies", slug="on-embassies")
    page = client.get("/on-embassies/").text
    data = form_fields(page) | {"comment": "Held, and announced.", "author": "Ada", "email": "ada@example.org"}
    assert client.post("/on-embassies/comments", data=data).status_code == 303
    assert inbox.arrived.wait(5)
    assert "Held, and announced." in inbox.messages[0][2].get_content()
