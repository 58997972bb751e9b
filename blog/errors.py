"""Error pages in the site layout, so no reader is left on a dead end."""

from flask import current_app, render_template, request
from flask.globals import request_ctx
from werkzeug.exceptions import HTTPException

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
    if request_ctx.url_adapter is None:
        # The Host header was refused (not in TRUSTED_HOSTS, or malformed), so Flask made no URL adapter;
        # the page only needs paths, which do not depend on the host.
        request_ctx.url_adapter = current_app.url_map.bind("localhost", script_name=request.root_path or "/")
    title, message = MESSAGES.get(code, (error.name, error.description))
    if request.blueprint == "admin" and code == 401:
        message = "Please sign in as a moderator to do that."
    response = error.get_response()
    response.set_data(render_template("error.html", code=code, title=title, message=message))
    response.content_type = "text/html; charset=utf-8"
    return response


def init_app(app):
    app.register_error_handler(HTTPException, render_error)
