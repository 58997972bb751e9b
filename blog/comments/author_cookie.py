"""The commenter's cookie: their name, email and website, remembered only with their consent.

In: the cookie's value (the view reads it) or the posted form. Out: what to fill the form with, or the
response with the cookie set or deleted.
"""

from flask import current_app

from blog.comments.form import CommentForm
from blog.comments.signing import dump_author, load_author

AUTHOR_COOKIE = "comment_author"
AUTHOR_COOKIE_MAX_AGE = 365 * 24 * 3600


def remembered_author(value: str | None) -> dict | None:
    """Return the name, email and website in this cookie value, if it is ours and untouched."""
    data = load_author(value) if value else None
    return data if isinstance(data, dict) else None


def remember_author(response, form: CommentForm, *, had_cookie: bool):
    """Keep (consent ticked) or forget (unticked, when the reader ``had_cookie``) their details."""
    secure = current_app.config["SESSION_COOKIE_SECURE"]
    if form.consent.data:
        value = dump_author({"author": form.author.data, "email": form.email.data, "url": form.url.data})
        response.set_cookie(
            AUTHOR_COOKIE, value, max_age=AUTHOR_COOKIE_MAX_AGE, httponly=True, samesite="Lax", secure=secure
        )
    elif had_cookie:
        response.delete_cookie(AUTHOR_COOKIE, httponly=True, samesite="Lax", secure=secure)
    return response
