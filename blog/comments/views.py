"""The comments blueprint: the Leave a Reply POST (Post/Redirect/Get) and the avatar pictures.

The view parses the request, calls the post service (posting.py) and answers: a 303 to the comment,
or the article page again around the form, as typed, with the reason it was not taken.
"""

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, make_response, redirect, render_template, request

from blog.comments import avatars, csrf, threads
from blog.comments.author_cookie import AUTHOR_COOKIE, remember_author, remembered_author
from blog.comments.form import CommentForm, failure_status
from blog.comments.pending import pending_location
from blog.comments.posting import (
    TOKEN_EXPIRED,
    UNAVAILABLE,
    Posted,
    Refused,
    check_open,
    post_comment,
)
from blog.comments.section import Section, comment_date
from blog.core.extensions import db
from blog.core.models import Article
from blog.reading.views import get_public_article, render_article

bp = Blueprint("comments", __name__)


@bp.route("/<slug>/comments", methods=["POST"], provide_automatic_options=False)
def post(slug):
    """Take a comment from the Leave a Reply form; answer with the article again if it cannot be taken."""
    form = CommentForm(request.form)
    try:
        return _post(slug, form)
    except sa.exc.OperationalError as error:
        # The database is down (or locked past the busy timeout): nothing was stored, so give the
        # reader back what they typed rather than a bare error page.
        db.session.rollback()
        current_app.logger.error("comment not saved, database unavailable: %s", error)
        return unavailable(slug, form)


def _post(slug: str, form: CommentForm):
    remembered = remembered_author(request.cookies.get(AUTHOR_COOKIE))

    def answer(article: Article, status: int, message: str = "", retry_after: int | None = None):
        html, status = render_article(article, form=form, remembered=remembered, status=status, message=message)
        response = make_response(html, status)
        if retry_after:
            response.headers["Retry-After"] = str(retry_after)
        response.headers["Cache-Control"] = "no-store"
        return response

    # The form is checked before the database is asked anything; a refusal then looks the article up
    # (404 first, then 403 for a closed one, as if the order were the other way round).
    if not form.validate():
        article = get_public_article(slug)
        try:
            check_open(article)
        except Refused as refusal:
            return answer(article, refusal.status, refusal.message)
        status = failure_status(form)
        return answer(article, status, TOKEN_EXPIRED if status == 400 else "")
    try:
        posted = post_comment(
            slug, form, ip=request.remote_addr or "", user_agent=request.headers.get("User-Agent", "")
        )
    except Refused as refusal:
        if refusal.reset_parent:
            form.comment_parent.data = "0"
        # The post's own connection has rolled back; the page is shown again around the form, whole.
        return answer(get_public_article(slug), refusal.status, refusal.message, refusal.retry_after)
    response = redirect(_location_after_post(posted), 303)
    return remember_author(response, form, had_cookie=AUTHOR_COOKIE in request.cookies)


def unavailable(slug: str, form: CommentForm):
    """Answer 503 with the form alone, holding what was typed: the article itself cannot be read."""
    section = Section(
        article=Article(slug=slug, title=""),  # never stored: it only names the form's action
        heading="",
        shown=[],
        page=1,
        pages=1,
        max_depth=1,
        form=form,
        closed=False,
        message=UNAVAILABLE,
    )
    response = make_response(render_template("comments/unavailable.html", comment_section=section), 503)
    response.headers["Retry-After"] = "30"
    response.headers["Cache-Control"] = "no-store"
    return response


def _location_after_post(posted: Posted) -> str:
    if posted.page and posted.page > 1:
        # An approved comment is shown in its thread, which may be on a later comment page.
        return f"{threads.page_url(posted.article.slug, posted.page)}#comment-{posted.comment.id}"
    return pending_location(posted.article, posted.comment)


@bp.get("/avatar/<token>.svg")
def avatar(token):
    """Draw an avatar from its token alone: no database, and the same picture forever."""
    if not avatars.TOKEN.match(token):
        abort(404)
    fill, cells = avatars.pattern(token)
    body = render_template("comments/avatar.svg", fill=fill, cells=cells, grid=avatars.GRID, size=avatars.SIZE)
    response = make_response(body)
    response.content_type = "image/svg+xml"
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


def init_app(app):
    csrf.init_app(app)
    app.add_template_filter(comment_date, "comment_date")
