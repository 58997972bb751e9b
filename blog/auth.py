"""Moderator accounts: sign-in, sign-out and the `moderator` commands (stub, built in issue 4)."""

from flask import Blueprint

from .extensions import db, login_manager
from .models import Moderator

bp = Blueprint("auth", __name__, url_prefix="/admin")


@login_manager.user_loader
def load_moderator(user_id: str):
    return db.session.get(Moderator, int(user_id))


def init_app(app):
    pass
