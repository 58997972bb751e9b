"""The moderation queue (stub, built in issue 4)."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
