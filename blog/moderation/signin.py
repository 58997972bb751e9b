"""Signing moderators in and out: the sign-in page with its throttle, sign-out, the guard every admin view
wears, and the check that a session was not ended since (the accounts themselves: accounts.py)."""

import functools
import math
import re
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from argon2.exceptions import InvalidHashError, VerificationError
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import InputRequired, Length

from blog.core.database import begin_write
from blog.core.extensions import db, login_manager
from blog.core.models import LoginFailure, Moderator, utcnow
from blog.moderation import accounts

bp = Blueprint("auth", __name__, url_prefix="/admin")

USERNAME_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@login_manager.user_loader
def load_moderator(user_id: str) -> Moderator | None:
    """Return the moderator a session or remember-me cookie names, unless their sessions were ended since."""
    moderator_id, _, token = user_id.partition(":")
    if not moderator_id.isdigit() or not token:
        return None  # a cookie from before sessions could be ended names the moderator alone
    moderator = db.session.get(Moderator, int(moderator_id))
    if moderator is None or not secrets.compare_digest(moderator.session_token, token):
        return None
    return moderator


class LoginThrottled(Exception):
    """Too many failed sign-ins for this username or address; ``retry_after`` seconds to wait."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after

    @property
    def message(self) -> str:
        return f"Too many failed sign-in attempts. Please try again in {wait_text(self.retry_after)}."


def wait_text(seconds: int) -> str:
    """Say how long to wait, in words: "40 seconds", "1 minute", "15 minutes"."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


# -- the rules: throttling, where to go after signing in ------------------------------------


@functools.cache
def _dummy_hash() -> str:
    # Checked against when the username is unknown, so that an unknown name takes as long as a wrong
    # password and the timing does not tell which usernames exist.
    return accounts.hasher.hash("not a password of anyone")


def _throttle_name(username: str) -> str:
    return username.strip().lower()[:80]


def lockout_remaining(username: str | None, ip: str, now: datetime | None = None, exclude_id: int | None = None) -> int:
    """Return how many seconds this username or address must still wait (0: may try now).

    An address is locked out with LOGIN_MAX_FAILURES failures within the last LOGIN_WINDOW_SECONDS,
    whatever names it tried (so with that many for any one name from there, too). A name is locked out
    from every address only with LOGIN_MAX_FAILURES_PER_NAME failures, far more: names are public (they
    sign replies), and a guesser with a few addresses must not keep the owner out. Either lock lasts
    until enough of those failures age out of the window.
    """
    now = now or utcnow()
    config = current_app.config
    window = timedelta(seconds=config["LOGIN_WINDOW_SECONDS"])
    limits = [(LoginFailure.ip == ip, config["LOGIN_MAX_FAILURES"])]
    if username is not None:
        limits.append((LoginFailure.username == _throttle_name(username), config["LOGIN_MAX_FAILURES_PER_NAME"]))
    wait = 0
    for key, limit in limits:
        query = sa.select(LoginFailure.created_at).where(key, LoginFailure.created_at > now - window)
        if exclude_id is not None:
            query = query.where(LoginFailure.id != exclude_id)
        recent = db.session.scalars(query.order_by(LoginFailure.created_at.desc()).limit(limit)).all()
        if len(recent) >= limit:
            # Free again when the limit-th newest failure leaves the window.
            wait = max(wait, math.ceil((recent[-1] + window - now).total_seconds()))
    return wait


def authenticate(username: str, password: str, ip: str) -> Moderator | None:
    """Return the moderator these credentials name, or None; every failure is counted.

    :raise LoginThrottled: when the username or the address has too many recent failures.
    """
    now = utcnow()
    ip = (ip or "")[:45]
    window = timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    begin_write()
    # Failures older than the window count for nothing; dropping them all keeps the table at one window's
    # worth of failures, however many names and addresses a guesser sprays.
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.created_at <= now - window))
    # The attempt is recorded (as a failure) before the password is checked and committed at once, so
    # that concurrent attempts on every worker see each other: the k-th attempt sees at least k-1
    # others, and at most LOGIN_MAX_FAILURES of them get past the check below.
    attempt = LoginFailure(username=_throttle_name(username), ip=ip, created_at=now)
    db.session.add(attempt)
    db.session.commit()
    attempt_id = attempt.id

    wait = lockout_remaining(username, ip, now, exclude_id=attempt_id)
    if wait > 0:
        _forget_attempt(attempt_id)  # refused unchecked, so not a failure: the window does not grow
        raise LoginThrottled(wait)

    moderator = db.session.scalar(sa.select(Moderator).where(Moderator.username == username))
    try:
        accounts.hasher.verify(moderator.password_hash if moderator else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None  # the attempt stays on record as a failure
    if moderator is None:
        return None

    begin_write()
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.id == attempt_id))
    if accounts.hasher.check_needs_rehash(moderator.password_hash):
        moderator.password_hash = accounts.hash_password(password)
    db.session.commit()
    return moderator


def _forget_attempt(attempt_id: int) -> None:
    begin_write()
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.id == attempt_id))
    db.session.commit()


def safe_next(target: str | None, default: str | None = None) -> str | None:
    """Return ``target`` if it is a path on this site, else ``default``.

    Refuses other hosts in every spelling browsers accept: ``http://x``, ``//x``, ``\\\\x``, ``/\\x``
    and the same with tabs or newlines inside (browsers drop them).
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


# -- the guard every admin view wears -------------------------------------------------------------------


def moderator_required(view):
    """Let only a signed-in moderator through: pages redirect to sign-in, actions answer 401.

    The check runs before anything else in the view, CSRF included, so an outsider holding a valid
    token (from the sign-in page) is still told 401.
    """

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            if request.method in ("GET", "HEAD"):
                here = request.path + (f"?{request.query_string.decode()}" if request.query_string else "")
                return redirect(url_for("auth.login", next=here))
            abort(401)
        return view(*args, **kwargs)

    return guarded


# -- views ----------------------------------------------------------------------------------------------


def _without_controls(value):
    # No username holds a control character (USERNAME), and PostgreSQL refuses NUL even in a query.
    return USERNAME_CONTROL.sub("", value) if isinstance(value, str) else value


class LoginForm(FlaskForm):
    username = StringField(
        "Username",
        filters=[_without_controls],
        validators=[InputRequired("Please enter your username."), Length(max=80)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired("Please enter your password.")],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


class LogoutForm(FlaskForm):
    """Only the CSRF token: signing out is a POST from our own page."""


def _home() -> str:
    return url_for("admin.comments")


def _throttled(form, error: LoginThrottled):
    response = current_app.make_response((render_template("admin/login.html", form=form, error=error.message), 429))
    response.headers["Retry-After"] = str(error.retry_after)
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"))
        if current_user.is_authenticated:
            return redirect(safe_next(form.next.data, _home()))
        wait = lockout_remaining(None, request.remote_addr or "")
        if wait:
            return _throttled(form, LoginThrottled(wait))
        return render_template("admin/login.html", form=form)

    if not form.validate_on_submit():
        if form.csrf_token.errors:
            form.csrf_token.errors = []
            return render_template(
                "admin/login.html", form=form, error="Your session expired. Please sign in again."
            ), 400
        return render_template("admin/login.html", form=form), 422
    try:
        moderator = authenticate(form.username.data, form.password.data, request.remote_addr or "")
    except LoginThrottled as error:
        return _throttled(form, error)
    if moderator is None:
        # Both fields are marked: saying which one was wrong would tell which usernames exist.
        error = "Unknown username or incorrect password."
        return render_template("admin/login.html", form=form, error=error, refused=True), 200
    # A fresh session on sign-in: nothing from before (a token, a message) carries into it.
    session.clear()
    login_user(moderator)
    return redirect(safe_next(form.next.data, _home()), 303)


@bp.post("/logout")
@moderator_required
def logout():
    if not LogoutForm().validate_on_submit():
        abort(400)
    accounts.end_sessions(current_user.username)
    logout_user()
    session.clear()
    flash("You are now logged out.", "success")
    return redirect(url_for("auth.login"), 303)


@bp.after_request
def _private(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _delete_remember_cookie_only_when_sent(response):
    """Replace Flask-Login's bare deletion of the remember-me cookie: only when sent, with its attributes.

    Flask-Login 0.6 deletes it with no Secure, HttpOnly or SameSite whenever strong session protection drops
    a session, which a fresh sign-in page's CSRF-only session trips on every visit, though we never set
    that cookie.
    """
    config = current_app.config
    name = config["REMEMBER_COOKIE_NAME"]
    cookies = response.headers.getlist("Set-Cookie")
    kept = [c for c in cookies if not _deletes(c, name)]
    if len(kept) == len(cookies):
        return response
    response.headers.setlist("Set-Cookie", kept)
    if name in request.cookies:
        response.delete_cookie(
            name,
            domain=config.get("REMEMBER_COOKIE_DOMAIN"),
            path=config.get("REMEMBER_COOKIE_PATH", "/"),
            secure=config["REMEMBER_COOKIE_SECURE"],
            httponly=config["REMEMBER_COOKIE_HTTPONLY"],
            samesite=config["REMEMBER_COOKIE_SAMESITE"],
        )
    return response


def _deletes(set_cookie: str, name: str) -> bool:
    value, *attributes = set_cookie.split(";")
    return value.strip() == f"{name}=" and any(a.strip().lower() == "max-age=0" for a in attributes)


def init_app(app):
    # Registered before Flask-Login's own after_request hook, so that it runs after it (Flask runs them
    # in the reverse order).
    app.after_request(_delete_remember_cookie_only_when_sent)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    # A session cookie replayed from another address or browser is dropped, not honoured.
    login_manager.session_protection = "strong"
    # Flask-WTF's session-bound token for the moderators' hand-written forms (the sign-out button).
    app.jinja_env.globals["moderator_csrf_token"] = generate_csrf
    accounts.init_app(app)  # the `moderator` commands, wired with the sign-in they serve
