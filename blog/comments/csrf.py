"""The public comment form's CSRF token: signed for the article and a window of time, the same for everyone.

The form carries ``WINDOW.HMAC(key, slug|WINDOW)``, WINDOW the start of the current window of time.
It binds nothing of the reader: no cookie, no session, so an article page is the same bytes for every
anonymous reader and any shared cache may keep it (README, "Performance"). What stops another site
posting through a visitor's browser is the browser's own word on where a post comes from (``Origin``,
``Sec-Fetch-Site``: ``cross_site`` below); the token adds that a post answers a page of this article
seen lately, and it is checked before any field is cleaned or the database asked.
Moderators' forms keep Flask-WTF's session token.
"""

import hmac
import time
from urllib.parse import urlsplit

from flask import current_app
from wtforms.csrf.core import CSRF
from wtforms.validators import ValidationError

from blog.comments.signing import form_token_key, form_token_signature

# A token is the same for every reader of an article within one window; it is taken for the lifetime
# (WTF_CSRF_TIME_LIMIT) after its window ends, so a reader always has at least the lifetime to write.
WINDOW_SECONDS = 3600
MISSING = "The form's security token is missing."
EXPIRED = "The form's security token has expired."
INVALID = "The form's security token does not match."


def key_for(secret: str) -> bytes:
    """Derive the form-token key from the app's SECRET_KEY."""
    return form_token_key(secret)


def lifetime(config) -> int:
    """Return how long a token is taken after its window ends, in seconds (WTF_CSRF_TIME_LIMIT)."""
    return int(config.get("WTF_CSRF_TIME_LIMIT") or 12 * 3600)


def window_of(now: float, lifetime: int) -> int:
    """Return the start of the window ``now`` falls in (windows never longer than the lifetime)."""
    length = max(1, min(WINDOW_SECONDS, lifetime))
    return int(now) // length * length


def token(key: bytes, slug: str, window: int) -> str:
    """Return the token of an article's form for a window; pure, so the page cache can key pages by it."""
    return f"{window}.{form_token_signature(key, f'{slug}|{window}')}"


def current_token(slug: str) -> str:
    """Return the token every reader of this article gets now."""
    config = current_app.config
    return token(key_for(config["SECRET_KEY"]), slug, window_of(time.time(), lifetime(config)))


def check_token(given: str | None, slug: str) -> None:
    """Check a submitted token against the article it was posted to.

    :raise ValidationError: when the token is missing, expired, or not signed for this article.
    """
    if not given:
        raise ValidationError(MISSING)
    config = current_app.config
    window, _, _ = given.partition(".")
    if not (window.isascii() and window.isdigit() and len(window) <= 12):
        raise ValidationError(INVALID)
    expected = token(key_for(config["SECRET_KEY"]), slug, int(window))
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise ValidationError(INVALID)
    length = max(1, min(WINDOW_SECONDS, lifetime(config)))
    if time.time() - int(window) > length + lifetime(config):
        raise ValidationError(EXPIRED)


class ArticleCSRF(CSRF):
    """WTForms' CSRF hook: the form's ``meta.csrf_context`` is the article's slug."""

    def setup_form(self, form):
        self.slug = str(form.meta.csrf_context or "")
        return super().setup_form(form)

    def generate_csrf_token(self, csrf_token_field):
        return current_token(self.slug)

    def validate_csrf_token(self, form, field):
        check_token(field.data, self.slug)


def cross_site(headers, own_origin: str) -> bool:
    """Whether the browser says this request comes from another site.

    ``Sec-Fetch-Site: cross-site``, or an ``Origin`` that is not ours (``null`` included: a sandboxed
    or privacy-redirected page), is refused. A request with neither header (curl, an old browser, a
    script) says nothing and is let through: the token still applies.
    """
    if headers.get("Sec-Fetch-Site", "").strip().lower() == "cross-site":
        return True
    origin = headers.get("Origin")
    if origin is None:
        return False
    return origin.strip().rstrip("/").lower() != own_origin.lower()


def origin_of(url: str) -> str:
    """Return ``scheme://host[:port]`` of an absolute URL (the app's own, as url_for builds it)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
