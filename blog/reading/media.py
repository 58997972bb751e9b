"""Serve the articles' images from the content folder at /media/."""

import os

from flask import Blueprint, current_app, request, send_from_directory

bp = Blueprint("media", __name__)

# Rendered articles link to /media/NAME?v=HASH (blog/publishing/markdown.py), so a versioned URL never changes
# content and may be cached for a year; a bare URL is revalidated daily through its ETag.
VERSIONED_MAX_AGE = 365 * 24 * 3600
UNVERSIONED_MAX_AGE = 24 * 3600


@bp.get("/media/<path:filename>")
def media(filename):
    """Send an image of CONTENT_DIR/images.

    :raise 404: if there is no such file (paths outside the folder included).
    """
    folder = os.path.join(current_app.config["CONTENT_DIR"], "images")
    versioned = "v" in request.args
    response = send_from_directory(folder, filename, max_age=VERSIONED_MAX_AGE if versioned else UNVERSIONED_MAX_AGE)
    response.cache_control.public = True
    response.cache_control.immutable = versioned
    return response
