"""The comments blueprint: the Leave a Reply POST (Post/Redirect/Get) and its Preview, the author's edit
and delete within the window, the unsubscribe page, and the avatar pictures.

The views parse the request, call one service (posting.py, editing.py, notices.py) and answer: a 303 to
the comment, or the article page again around the form, as typed, with the reason it was not taken.
"""

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, make_response, redirect, render_template, request, url_for

from blog.comments import avatars, csrf, editing, notices, outbox, threads
from blog.comments.author_cookie import AUTHOR_COOKIE, remember_author, remembered_author
from blog.comments.form import CommentForm, EditForm, failure_status
from blog.comments.pending import pending_location
from blog.comments.posting import (
    CROSS_SITE,
    TOKEN_EXPIRED,
    UNAVAILABLE,
    Posted,
    Refused,
    check_open,
    post_comment,
)
from blog.comments.section import Preview, Section, comment_date
from blog.core.extensions import db
from blog.core.models import Article, Comment, CommentStatus
from blog.reading.views import get_public_article, render_article

bp = Blueprint("comments", __name__)


@bp.route("/<slug>/comments", methods=["POST"], provide_automatic_options=False)
def post(slug):
    """Take a comment from the Leave a Reply form; answer with the article again if it cannot be taken."""
    form = CommentForm(request.form, meta={"csrf_context": slug})
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

    def answer(article: Article, status: int, message: str = "", retry_after: int | None = None, preview=None):
        html, status = render_article(
            article, form=form, remembered=remembered, status=status, message=message, preview=preview
        )
        response = make_response(html, status)
        if retry_after:
            response.headers["Retry-After"] = str(retry_after)
        response.headers["Cache-Control"] = "no-store"
        return response

    if _cross_site():
        return answer(get_public_article(slug), 403, CROSS_SITE)
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
    if "preview" in request.form:
        # The comment as it will look, above the form as typed; nothing is stored and no rule is run.
        article = get_public_article(slug)
        try:
            check_open(article)
        except Refused as refusal:
            return answer(article, refusal.status, refusal.message)
        return answer(article, 200, preview=Preview.of(form))
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
    editing.set_cookie(response, posted.comment, path=url_for("pages.article", slug=posted.article.slug))
    return remember_author(response, form, had_cookie=AUTHOR_COOKIE in request.cookies)


def _cross_site() -> bool:
    """Whether the browser says this post comes from another site (our origin: what url_for builds,
    behind a proxy too, through FLASK_TRUSTED_PROXIES)."""
    return csrf.cross_site(request.headers, csrf.origin_of(url_for("pages.index", _external=True)))


def _own_comment(slug: str, comment_id: int) -> tuple[Article, Comment]:
    """Return the article and the comment this browser may still edit.

    :raise 404: no such comment on this article. :raise 403: not this browser's, or the window is over.
    """
    article = get_public_article(slug)
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.article_id != article.id:
        abort(404)
    if not editing.may_edit(comment, editing.edit_cookies(request.cookies)):
        abort(403)
    return article, comment


def _where_it_shows(article: Article, comment: Comment) -> str:
    if comment.status is CommentStatus.PENDING:
        return pending_location(article, comment)
    if comment.status is CommentStatus.APPROVED:
        per_page = current_app.config["COMMENTS_PER_PAGE"]
        page = threads.thread_page(db.session.connection(), article.id, comment.id, per_page)
        return f"{threads.page_url(article.slug, page or 1)}#comment-{comment.id}"
    return url_for("pages.article", slug=article.slug) + "#comments"


@bp.post("/<slug>/comments/<int:comment_id>/edit")
def edit(slug, comment_id):
    """Save the author's edit of their comment, within the window, from their browser only."""
    article, comment = _own_comment(slug, comment_id)
    form = EditForm(request.form, meta={"csrf_context": article.slug})
    refused = CROSS_SITE if _cross_site() else ""
    if refused or not form.validate():
        status = 403 if refused else failure_status(form)
        html = render_template("comments/edit.html", article=article, comment=comment, form=form, refused=refused)
        return html, status, {"Cache-Control": "no-store"}
    comment = editing.edit(comment, form.comment.data, form.comment.html)
    return redirect(_where_it_shows(article, comment), 303)


@bp.post("/<slug>/comments/<int:comment_id>/delete")
def delete(slug, comment_id):
    """Delete the author's comment at their wish, within the window, from their browser only."""
    article, comment = _own_comment(slug, comment_id)
    if _cross_site():
        abort(403)
    form = EditForm(request.form, meta={"csrf_context": article.slug})
    if not form.csrf_token.validate(form):
        abort(400)
    editing.delete(comment)
    return redirect(url_for("pages.article", slug=article.slug) + "#comments", 303)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token):
    """Ask (GET, which mail scanners fetch) and unsubscribe (POST: the button, or RFC 8058's one click).

    :raise 404: for a token we did not sign.
    """
    comment = notices.comment_of_token(token)
    if comment is None:
        abort(404)
    done = None
    if request.method == "POST":
        everything = request.form.get("scope") == "all"
        notices.unsubscribe(comment, everything=everything)
        done = "all" if everything else "thread"
    html = render_template("comments/unsubscribe.html", comment=comment, article=comment.article, done=done)
    return html, 200, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


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


def edit_window_ends(comment: Comment) -> str:
    """Say until when the author may edit ``comment``, as comment times are said."""
    return comment_date(editing.window_ends(comment))


def init_app(app):
    outbox.init_app(app)
    app.add_template_filter(comment_date, "comment_date")
    app.add_template_filter(edit_window_ends, "edit_window_ends")
