"""The Flask extensions, created unbound here and bound to the app in ``create_app``."""

import flask_login
import sqlalchemy as sa
from flask import current_app, request
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so that migrations can drop and alter them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class LoginManager(flask_login.LoginManager):
    """Flask-Login, whose remember-me cookie is deleted only when sent, and then with its attributes."""

    def _clear_cookie(self, response):
        # Flask-Login 0.6 answers a session it cannot trust (session_protection="strong", which a fresh
        # login page's CSRF-only session trips) with a bare `remember_token=; Max-Age=0`: no Secure, no
        # HttpOnly, no SameSite, on every visit to the login page, though we never set that cookie.
        config = current_app.config
        name = config.get("REMEMBER_COOKIE_NAME", flask_login.COOKIE_NAME)
        if name not in request.cookies:
            return
        response.delete_cookie(
            name,
            domain=config.get("REMEMBER_COOKIE_DOMAIN"),
            path=config.get("REMEMBER_COOKIE_PATH", "/"),
            secure=config.get("REMEMBER_COOKIE_SECURE", False),
            httponly=config.get("REMEMBER_COOKIE_HTTPONLY", True),
            samesite=config.get("REMEMBER_COOKIE_SAMESITE"),
        )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
# No global CSRFProtect: each form checks its own token when it validates. Moderators' forms use
# Flask-WTF's session-bound token; the public comment form brings a session-less one (blog/csrf.py),
# so an anonymous reader never gets a session. Admin actions check sign-in before the token, so an
# outsider is told 401, not 400.
