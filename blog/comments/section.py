"""The comments section of the article page: its threads on this comment page, the reply form, the
author's own pending comment, and the same comments as schema.org JSON-LD (SPEC §3).

In: values the view parsed (comment page, reply-to id, pending link, remembered author, failed form).
Out: the template context of templates/comments/_section.html. Reads neither the request nor cookies.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import abort, current_app, url_for

from blog.comments import avatars, editing, rules, threads
from blog.comments.form import MAX_AUTHOR, MAX_EMAIL, MAX_URL, CommentForm
from blog.comments.pending import pending_comment
from blog.comments.posting import comment_id
from blog.core import mail, sanitize
from blog.core.models import Article, Comment, CommentKind, utcnow


def heading(count: int, title: str) -> str:
    """Return WordPress's heading of the comments section, or "" when there is none to count."""
    if count <= 0:
        return ""
    if count == 1:
        return f"One thought on “{title}”"
    return f"{count} thoughts on “{title}”"


@dataclass(frozen=True)
class Preview:
    """A comment as it will be shown, from a valid form, never stored (the Preview button)."""

    author_name: str
    author_url: str
    html: str

    @classmethod
    def of(cls, form: CommentForm) -> "Preview":
        return cls(form.author.data, form.normalized_url, form.comment.html)

    @property
    def avatar(self) -> str:
        # A comment's picture comes from its id, which a preview does not have yet: 0 is no comment's.
        return url_for("comments.avatar", token=avatars.token_for(0))


@dataclass
class Section:
    """What templates/comments/_section.html shows."""

    article: Article
    heading: str
    shown: list
    page: int
    pages: int
    max_depth: int
    form: CommentForm
    closed: bool
    pings: list = field(default_factory=list)  # pingbacks and trackbacks, listed apart below the threads
    reply_to: Comment | None = None
    reply_shown: bool = False
    message: str = ""
    pending: Comment | None = None
    preview_note: bool = False
    preview: Preview | None = None
    edit_cookies: dict | None = None
    offer_notices: bool = False  # the opt-in boxes, shown only when the blog can send mail

    def can_edit(self, comment: Comment) -> bool:
        """Whether this reader's browser may still edit or delete ``comment`` (blog/comments/editing.py)."""
        return bool(self.edit_cookies) and editing.may_edit(comment, self.edit_cookies)

    def edit_action(self, comment: Comment) -> str:
        return url_for("comments.edit", slug=self.article.slug, comment_id=comment.id)

    def delete_action(self, comment: Comment) -> str:
        return url_for("comments.delete", slug=self.article.slug, comment_id=comment.id)

    @property
    def page_url(self) -> str:
        return threads.page_url(self.article.slug, self.page)

    @property
    def action(self) -> str:
        return url_for("comments.post", slug=self.article.slug)

    def page_link(self, page: int) -> str:
        return threads.page_url(self.article.slug, page) + "#comments"

    def reply_url(self, comment: Comment) -> str:
        return f"{self.page_url}?replytocom={comment.id}#respond"

    @staticmethod
    def avatar(comment: Comment) -> str:
        return url_for("comments.avatar", token=avatars.token_for(comment.id))

    def by_the_author(self, comment: Comment) -> bool:
        """Whether a comment is the article's author answering: a moderator's reply (never a reader's,
        whatever name it gives) under the name of the article's byline."""
        byline = self.article.author or current_app.config["SITE_AUTHOR"]
        if comment.by_post_author:  # imported: WordPress knew the post's author by their account
            return True
        return comment.moderator_id is not None and comment.author_name.strip().casefold() == byline.strip().casefold()

    @staticmethod
    def author_href(comment: Comment) -> str | None:
        url = comment.author_url or ""
        return url if re.match(r"(?i)^https?://", url) else None

    @property
    def field_errors(self) -> list[tuple[str, str]]:
        return self.form.field_errors

    @property
    def has_errors(self) -> bool:
        return bool(self.message or self.field_errors)


def section_context(
    article: Article,
    *,
    comment_page: int = 1,
    form: CommentForm | None = None,
    reply_to: str | None = None,
    pending_id: str | None = None,
    pending_hash: str | None = None,
    remembered: dict | None = None,
    message: str = "",
    preview: Preview | None = None,
    edit_cookies: dict | None = None,
) -> dict:
    """Return the template context of the article's comments section and reply form.

    :param form: the form of a failed post, shown again as typed (its parent is the reply-to).
    :param reply_to: the ``?replytocom=ID`` of the request (only an approved comment of ours counts).
    :param pending_id: with ``pending_hash``, the author's pending link.
    :param remembered: the name, email and website the reader asked us to remember.
    :param preview: the comment of a Preview, shown above the form.
    :param edit_cookies: the reader's edit cookies ({comment id: value}), checked here.
    :raise 404: for a comment page past the last one.
    """
    config = current_app.config
    max_depth = config["THREAD_DEPTH"]
    per_page = config["COMMENTS_PER_PAGE"]
    approved, pings = [], []
    for comment in threads.approved_comments(article.id):
        (approved if comment.kind is CommentKind.COMMENT else pings).append(comment)
    by_id = {c.id: c for c in approved}
    all_threads = threads.build(approved, max_depth)
    pages = threads.page_count(all_threads, per_page)

    # Replying: to the comment of a failed post, or to ?replytocom=ID.
    wanted = comment_id(form.comment_parent.data if form is not None else reply_to)
    reply_to_comment = by_id.get(wanted) if wanted is not None else None
    if form is not None and reply_to_comment is not None and comment_page == 1:
        comment_page = threads.page_of(all_threads, reply_to_comment.id, per_page) or 1
    if comment_page < 1 or comment_page > pages:
        abort(404)
    start = (comment_page - 1) * per_page
    shown = [node for thread in all_threads[start : start + per_page] for node in thread]

    pending = None
    if form is None and pending_id is not None:
        pending = pending_comment(article, pending_id, pending_hash)
        if pending is not None:
            threads.place_pending(shown, pending, max_depth)

    if form is None:
        form = CommentForm(
            comment_parent=str(reply_to_comment.id) if reply_to_comment else "0", meta={"csrf_context": article.slug}
        )
        if remembered:
            form.author.data = str(remembered.get("author") or "")[:MAX_AUTHOR]
            form.email.data = str(remembered.get("email") or "")[:MAX_EMAIL]
            form.url.data = str(remembered.get("url") or "")[:MAX_URL]
            form.consent.data = True
    elif reply_to_comment is None:
        form.comment_parent.data = "0"

    section = Section(
        article=article,
        heading=heading(len(approved), article.title),
        shown=shown,
        page=comment_page,
        pages=pages,
        max_depth=max_depth,
        form=form,
        pings=pings if comment_page == 1 else [],
        closed=rules.comments_closed(article, config, utcnow()),
        reply_to=reply_to_comment,
        reply_shown=reply_to_comment is not None and threads.find(shown, reply_to_comment.id) is not None,
        message=message,
        pending=pending,
        preview_note=remembered is None,
        preview=preview,
        edit_cookies=edit_cookies,
        offer_notices=mail.configured(config),
    )
    return {"comment_section": section, "jsonld_comments": jsonld(section)}


def jsonld(section: Section) -> list[dict]:
    """Return the page's approved comments as schema.org Comment objects (never an email or IP)."""
    page_url = threads.page_url(section.article.slug, section.page, external=True)
    items = []

    def walk(nodes):
        for node in nodes:
            if not node.pending:
                c = node.comment
                author = {"@type": "Person", "name": c.author_name}
                if section.author_href(c):
                    author["url"] = c.author_url
                items.append(
                    {
                        "@type": "Comment",
                        "@id": f"{page_url}#comment-{c.id}",
                        "url": f"{page_url}#comment-{c.id}",
                        "author": author,
                        "dateCreated": c.created_at.replace(microsecond=0).isoformat(),
                        "text": sanitize.plain_text(c.html),
                    }
                )
            walk(node.children)

    walk(section.shown)
    return items


def comment_date(value: datetime) -> str:
    """Format a comment's time as WordPress does by default: "January 5, 2025 at 3:07 pm" (UTC)."""
    value = value.astimezone(UTC)
    hour = value.hour % 12 or 12
    return f"{value:%B} {value.day}, {value.year} at {hour}:{value:%M} {'am' if value.hour < 12 else 'pm'}"
