"""Serve the articles' images from the content folder at /media/."""

import os

from flask import Blueprint, abort, current_app, request, send_from_directory
from werkzeug.security import safe_join

bp = Blueprint("media", __name__)

MEDIA_URL = "/media/"
# Inside the images folder, so /media/ serves it; hidden, so the blogger's folder stays theirs.
# Publishing writes the resized copies there (blog/publishing/images.py).
VARIANTS = ".sizes"

# Rendered articles link to /media/NAME?v=HASH and to resized copies named for their content hash in
# /media/.sizes/ (blog/publishing/images.py), so such a URL never changes content and may be cached for a
# year; a bare URL is revalidated daily through its ETag.
VERSIONED_MAX_AGE = 365 * 24 * 3600
UNVERSIONED_MAX_AGE = 24 * 3600


def is_inside(folder: str, filename: str) -> bool:
    """Whether ``filename`` names a file inside ``folder`` with no symbolic link on the way.

    Publishing refuses links in the folder (blog/publishing/files.py); this holds even for one added since.
    The folder itself may be a link (the site's owner set it up), so it is resolved first.
    """
    path = safe_join(folder, filename)
    if path is None:
        return False
    step = folder
    for part in os.path.relpath(path, folder).split(os.sep):
        step = os.path.join(step, part)
        if os.path.islink(step):
            return False
    root = os.path.realpath(folder)
    return os.path.commonpath([root, os.path.realpath(path)]) == root


@bp.get("/media/<path:filename>")
def media(filename):
    """Send an image of CONTENT_DIR/images.

    :raise 404: if there is no such file (paths outside the folder, or through a link, included).
    """
    folder = os.path.join(current_app.config["CONTENT_DIR"], "images")
    if not is_inside(folder, filename):
        abort(404)
    versioned = "v" in request.args or filename.startswith(f"{VARIANTS}/")
    response = send_from_directory(folder, filename, max_age=VERSIONED_MAX_AGE if versioned else UNVERSIONED_MAX_AGE)
    response.cache_control.public = True
    response.cache_control.immutable = versioned
    return response
