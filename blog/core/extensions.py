"""The Flask extensions, created unbound here and bound to the app in ``create_app``."""

import flask_login
import sqlalchemy as sa
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


db = SQLAlchemy(model_class=Base)
login_manager = flask_login.LoginManager()
# No global CSRFProtect: each form checks its own token when it validates. Moderators' forms use
# Flask-WTF's session-bound token; the public comment form brings a session-less one (blog/comments/csrf.py),
# so an anonymous reader never gets a session. Admin actions check sign-in before the token, so an
# outsider is told 401, not 400.
