"""The public comment form's CSRF token: a signed double submit that needs no session.

A reader gets a random cookie (HttpOnly, SameSite=Lax); the form carries ``timestamp.HMAC(key, cookie
value + timestamp)``. Another site can make the browser send the cookie but cannot read it, so it cannot
forge a token that matches it. Nothing is stored on the server and no Flask session is created, so an
anonymous reader costs no session (see the README, "Performance"). Moderators' forms keep Flask-WTF's session token.
"""

import hmac
import secrets
import time

from flask import current_app, request
from markupsafe import Markup
from werkzeug.http import dump_cookie
from wtforms.csrf.core import CSRF
from wtforms.validators import ValidationError

from blog.comments.signing import form_token_key, form_token_signature

COOKIE_NAME = "comment_csrf"
# The page cache (blog/reading/pagecache.py) renders a page with this in place of the token. It reaches the page
# unescaped (Markup), and a raw "<" is something no escaped field and no cleaned comment or article can
# hold, so no words of a reader can make the page look as if it held a second form.
PLACEHOLDER = Markup("0.<comment-form-token>")
PLACEHOLDER_ENVIRON = "blog.comments.csrf.placeholder"
COOKIE_MAX_AGE = 30 * 24 * 3600
MISSING = "The form's security token is missing."
EXPIRED = "The form's security token has expired."
INVALID = "The form's security token does not match."


def _key() -> bytes:
    # A key of its own, derived from SECRET_KEY, so that this HMAC can never be confused with another.
    return key_for(current_app.config["SECRET_KEY"])


def _mac(cookie: str, timestamp: str) -> str:
    return mac(_key(), cookie, timestamp)


def mac(key: bytes, cookie: str, timestamp: str) -> str:
    """The token's signature; pure, so the page cache can sign without an app context."""
    return form_token_signature(key, f"{cookie}|{timestamp}")


def key_for(secret: str) -> bytes:
    """Derive the form-token key from the app's SECRET_KEY."""
    return form_token_key(secret)


def _lifetime() -> int:
    return int(current_app.config.get("WTF_CSRF_TIME_LIMIT") or 12 * 3600)


def reader_cookie() -> str:
    """Return this reader's CSRF cookie value, making a new one (set on the response) when absent."""
    value = _state().get("new") or request.cookies.get(COOKIE_NAME, "")
    if not plausible(value):
        value = _state()["new"] = new_cookie_value()
    return value


def new_cookie_value() -> str:
    return secrets.token_urlsafe(32)


def cookie_header(value: str, secure: bool) -> str:
    """The Set-Cookie header value for a reader's CSRF cookie (also used by the page cache)."""
    return dump_cookie(COOKIE_NAME, value, max_age=COOKIE_MAX_AGE, httponly=True, samesite="Lax", secure=secure)


def _state() -> dict:
    # Kept on the request, not on `g`: an app context (and its `g`) can outlive one request in tests.
    return request.environ.setdefault("blog.comment_csrf", {})


def plausible(value: str) -> bool:
    return 20 <= len(value) <= 100 and value.replace("-", "").replace("_", "").isalnum()


def current_token() -> str:
    """Return a fresh token bound to this reader's cookie (for a page that renders the form itself)."""
    _state()["used"] = True
    if request.environ.get(PLACEHOLDER_ENVIRON):
        return PLACEHOLDER  # the page cache renders once for everyone and signs per reader
    timestamp = str(int(time.time()))
    return f"{timestamp}.{_mac(reader_cookie(), timestamp)}"


def check_token(token: str | None) -> None:
    """Check a submitted token against the reader's cookie.

    :raise ValidationError: when the token or the cookie is missing, expired or does not match.
    """
    cookie = request.cookies.get(COOKIE_NAME, "")
    if not token or not plausible(cookie):
        raise ValidationError(MISSING)
    timestamp, _, mac = token.partition(".")
    valid_time = timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12
    if not valid_time or not hmac.compare_digest(mac.encode(), _mac(cookie, timestamp).encode()):
        raise ValidationError(INVALID)
    if time.time() - int(timestamp) > _lifetime():
        raise ValidationError(EXPIRED)


class SignedCookieCSRF(CSRF):
    """WTForms' CSRF hook: the token field is filled and checked with the functions above."""

    def generate_csrf_token(self, csrf_token_field):
        return current_token()

    def validate_csrf_token(self, form, field):
        check_token(field.data)


def set_cookie(response):
    """Send the reader's new CSRF cookie, when this request made one."""
    if not request:
        return response
    state = _state()
    value = state.get("new")
    if value:
        response.headers.add("Set-Cookie", cookie_header(value, current_app.config["SESSION_COOKIE_SECURE"]))
    if state.get("used"):
        # The page holds a token bound to this reader's cookie: no shared cache may keep it.
        response.cache_control.public = False
        response.cache_control.private = True
    return response


def init_app(app):
    app.after_request(set_cookie)
