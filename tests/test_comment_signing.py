"""blog/comments/signing.py: one signer (itsdangerous) for the pending link, the author cookie and the
avatars, each under a salt of its own."""

import hashlib
import hmac
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from itsdangerous import URLSafeSerializer

from blog.comments import avatars, csrf, pending, signing
from blog.comments.author_cookie import remembered_author


def by_hand(secret: str, salt: bytes, value: str) -> str:
    """The keyed hash as the blog made it before signing.py: HMAC-SHA256 under a key derived by HMAC."""
    key = hmac.new(secret.encode(), salt, hashlib.sha256).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:32]


def test_avatars_and_pending_links_already_out_there_still_hold(app):
    comment = SimpleNamespace(id=42, created_at=datetime(2025, 3, 1, 12, 0, tzinfo=UTC))
    secret = app.config["SECRET_KEY"]
    with app.app_context():
        assert avatars.token_for(42) == by_hand(secret, b"blog.avatars.comment", "42")
        stamp = int(comment.created_at.timestamp())
        assert pending.moderation_hash(comment) == by_hand(secret, b"blog.comments.moderation-hash", f"42|{stamp}")


def test_each_purpose_signs_under_its_own_salt(app):
    with app.app_context():
        digests = {purpose: signing.digest(purpose, "42|1740830400") for purpose in signing.Purpose}
        assert len(set(digests.values())) == len(signing.Purpose)
        app.config["SECRET_KEY"] = "another-key"
        assert all(signing.digest(purpose, "42|1740830400") != d for purpose, d in digests.items())


@pytest.mark.parametrize(
    ("given", "ok"),
    [("right", True), ("wrong", False), ("", False), ("é" * 32, False)],
)
def test_a_digest_is_checked_in_constant_time_and_never_raises(app, given, ok):
    with app.app_context():
        right = signing.digest(signing.Purpose.PENDING_LINK, "7|1")
        assert signing.matches(signing.Purpose.PENDING_LINK, "7|1", right if given == "right" else given) is ok


def test_the_author_cookie_takes_only_what_its_own_salt_signed(app):
    data = {"author": "Ann", "email": "ann@example.org", "url": ""}
    with app.app_context():
        assert remembered_author(signing.dump_author(data)) == data
        other = URLSafeSerializer(app.config["SECRET_KEY"], salt="blog.avatars.comment").dumps(data)
        assert remembered_author(other) is None
        assert remembered_author(signing.dump_author(["not", "a", "dict"])) is None
        assert remembered_author("garbage") is None


def test_a_form_token_signs_the_article_and_its_window_with_the_key_of_old(app):
    """The key is derived as before (its salt unchanged); what it signs is the article's slug and the window."""
    secret = app.config["SECRET_KEY"]
    key = hmac.new(secret.encode(), b"blog.csrf.comment-form", hashlib.sha256).digest()
    assert csrf.key_for(secret) == key
    signature = hmac.new(key, b"on-embassies|1740830400", hashlib.sha256).hexdigest()
    assert csrf.token(key, "on-embassies", 1740830400) == f"1740830400.{signature}"
    assert csrf.token(key, "other-article", 1740830400) != csrf.token(key, "on-embassies", 1740830400)
