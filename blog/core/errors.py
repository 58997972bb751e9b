"""Error pages in the site layout, so no reader is left on a dead end."""

from flask import current_app, render_template, request
from werkzeug.exceptions import BadHost, HTTPException, SecurityError

MESSAGES = {
    400: ("Bad request", "The request could not be understood."),
    401: ("Sign in required", "Please sign in to do that."),
    403: ("Not allowed", "You are not allowed to do that."),
    404: ("Page not found", "There is nothing here. It may have moved, or never existed."),
    405: ("Method not allowed", "That page cannot be used that way."),
    413: ("Too large", "What you sent is larger than this site accepts."),
    429: ("Too many requests", "Please wait a moment and try again."),
    500: ("Something went wrong", "The site could not answer. Please try again in a moment."),
    503: ("Temporarily unavailable", "The site cannot reach its database. Please try again shortly."),
}


def render_error(error: HTTPException):
    code = error.code or 500
    title, message = MESSAGES.get(code, (error.name, error.description))
    if request.blueprint == "admin" and code == 401:
        message = "Please sign in as a moderator to do that."
    response = error.get_response()
    response.set_data(
        render_template("error.html", code=code, title=title, message=message, **_paths_for_refused_host())
    )
    response.content_type = "text/html; charset=utf-8"
    return response


def _paths_for_refused_host() -> dict:
    """Give the page a ``url_for`` of its own when the Host header was refused.

    Flask then builds no URLs for the request (the Host is not in TRUSTED_HOSTS: SecurityError; or it is
    no host name at all: BadHost); the page needs only paths, which do not depend on the host. Passed as
    a template variable, it stands in for Flask's ``url_for`` global in this one rendering, with no
    private Flask internals touched.
    """
    if not isinstance(request.routing_exception, SecurityError | BadHost):
        return {}
    paths = current_app.url_map.bind("localhost", script_name=request.root_path or "/")
    return {"url_for": lambda endpoint, **values: paths.build(endpoint, values)}


def init_app(app):
    app.register_error_handler(HTTPException, render_error)
