"""The moderation queue: read held comments, see why they were held, act on them one by one or in bulk."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, StringField
from wtforms.validators import AnyOf, InputRequired, Optional, ValidationError

from blog.comments.form import (
    AuthorFields,
    author_field,
    comment_field,
    email_field,
    failure_status,
    url_field,
)
from blog.core import sanitize
from blog.core.extensions import db
from blog.core.models import Comment, CommentStatus
from blog.moderation import actions, counts, queue
from blog.moderation.queue import DEFAULT_SORT, SEARCH_HELP, SORTS, TAB_STATUSES, TABS
from blog.moderation.signin import moderator_required, safe_next

bp = Blueprint("admin", __name__, url_prefix="/admin")

ACTION_SLUGS = ", ".join(f"'{slug}'" for slug in actions.ACTIONS)
MAX_ID = 2**31 - 1  # the largest id an INTEGER column holds on every backend; larger ones are 404, not 500
COMMENT = f"/comments/<int(max={MAX_ID}):comment_id>"
# How the audit trail reads each recorded action.
EVENT_LABELS = {
    "approve": "Approved",
    "unapprove": "Unapproved",
    "spam": "Marked as spam",
    "not-spam": "Marked as not spam",
    "trash": "Moved to the Trash",
    "restore": "Restored from the Trash",
    "delete": "Deleted permanently",
    "edit": "Edited",
    "reply": "Replied",
    "imported": "Imported",
    "erase": "Personal data erased",
}


# -- forms ----------------------------------------------------------------------------------------------


class IdListField(Field):
    """The ticked checkboxes of the queue (name ``ids``), as a list of comment ids."""

    def process_formdata(self, valuelist):
        self.data = [int(v) for v in valuelist if v.isascii() and v.isdigit() and int(v) <= MAX_ID]

    def _value(self):
        return ""


def back_to_queue(target: str | None) -> str:
    """Return where to go after an action: the queue page it came from, else the pending tab."""
    target = safe_next(target)
    if target and (target == "/admin/comments" or target.startswith("/admin/comments?")):
        return target
    return url_for("admin.comments")


class ActionForm(FlaskForm):
    """A row button's form: the CSRF token and the queue page to come back to."""

    next = HiddenField()


class BulkForm(ActionForm):
    # The <select> is written out in the template, with the options that fit the tab.
    action = StringField(
        "Action",
        validators=[
            InputRequired("Choose a bulk action."),
            AnyOf(list(actions.ACTIONS), message="Choose a bulk action."),
        ],
    )
    ids = IdListField()

    def validate_ids(self, field):
        if not field.data:
            raise ValidationError("Select at least one comment.")


class EditForm(AuthorFields, ActionForm):
    # The public form's fields, so an edit cannot store what a reader could not post; only the email
    # may be left empty.
    comment = comment_field()
    author = author_field()
    email = email_field(required=False)
    url = url_field()
    # Written out as radio buttons in the template, as WordPress's edit screen has them; absent: unchanged.
    status = StringField(
        "Status",
        validators=[Optional(), AnyOf([s.value for s in CommentStatus], message="Choose a status.")],
    )


class ReplyForm(ActionForm):
    comment = comment_field("Reply", empty="Please type your reply.", too_long="Your reply is too long.")


SESSION_EXPIRED = "Your session expired. Please submit the form again."


def checked(form: FlaskForm, keep_typing: bool = False) -> bool:
    """Validate a submitted form; a missing or stale CSRF token is a 400.

    With ``keep_typing`` the 400 is left to the view, which shows the form again with what was typed.
    """
    valid = form.validate_on_submit()
    if form.csrf_token.errors and not keep_typing:
        abort(400)
    return valid


def _report(outcome: actions.Outcome) -> None:
    if outcome.changed:
        flash(outcome.message, "success")
    if outcome.skipped:
        n = len(outcome.skipped)
        flash(
            f"{n} comment{'' if n == 1 else 's'} left as {'it was' if n == 1 else 'they were'}: "
            f"“{outcome.action.label}” does not apply to {'its' if n == 1 else 'their'} status now.",
            "warning",
        )


# -- views ----------------------------------------------------------------------------------------------


@bp.get("/")
@moderator_required
def index():
    return redirect(url_for("admin.comments"))


def cursor(raw: str | None) -> int | None:
    """Read a page cursor (a comment id) from the query string; anything else is no cursor (the first page)."""
    raw = raw or ""
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) <= MAX_ID else None


@bp.get("/comments")
@moderator_required
def comments():
    """Show one tab of the moderation queue."""
    tab = request.args.get("status", "pending")
    if tab not in TAB_STATUSES:
        tab = "pending"
    text = sanitize.one_line(request.args.get("q", ""))[:200]  # no NUL: PostgreSQL refuses it even in a query
    default_sort = DEFAULT_SORT.get(tab, "date")
    sort = request.args.get("sort", default_sort)
    if sort not in SORTS:
        sort = default_sort
    after, before = (cursor(request.args.get(name)) for name in ("after", "before"))
    before = None if after else before
    result = queue.page(tab, text, sort, after=after, before=before)
    sort_arg = sort if sort != default_sort else None  # in the links, only when it is not the tab's own
    # Where an action on this page comes back to: the same place in the tab.
    here = url_for("admin.comments", status=tab, q=text or None, sort=sort_arg, after=after, before=before)
    return render_template(
        "admin/comments.html",
        tab=tab,
        tabs=TABS,
        counts=counts.by_status(db.session.connection()),
        q=text,
        search_help=SEARCH_HELP,
        page=result,
        here=here,
        sorts=SORTS,
        sort=sort,
        default_sort=default_sort,
        sort_arg=sort_arg,
        form=ActionForm(formdata=None, next=here),
        bulk_actions=actions.available(*TAB_STATUSES[tab]),
        actions=actions,
        event_labels=EVENT_LABELS,
    )


@bp.post(f"{COMMENT}/<any({ACTION_SLUGS}):action>")
@moderator_required
def act(comment_id, action):
    """Apply a row button's action to one comment."""
    form = ActionForm()
    checked(form)
    db.get_or_404(Comment, comment_id)
    _report(actions.apply([comment_id], action, current_user._get_current_object()))
    return redirect(back_to_queue(form.next.data), 303)


@bp.post("/comments/bulk")
@moderator_required
def bulk():
    """Apply the chosen action to every ticked comment."""
    form = BulkForm()
    if not checked(form):
        for errors in (form.action.errors, form.ids.errors):
            for message in errors:
                flash(message, "error")
        return redirect(back_to_queue(form.next.data), 303)
    _report(actions.apply(form.ids.data, form.action.data, current_user._get_current_object()))
    return redirect(back_to_queue(form.next.data), 303)


@bp.route(f"{COMMENT}/edit", methods=["GET", "POST"])
@moderator_required
def edit(comment_id):
    """Edit a comment's text and author details."""
    comment = db.get_or_404(Comment, comment_id)
    if request.method == "GET":
        form = EditForm(
            formdata=None,
            comment=comment.raw_text,
            author=comment.author_name,
            email=comment.author_email,
            url=comment.author_url,
            status=comment.status.value,
            next=back_to_queue(request.args.get("next")),
        )
    elif checked(form := EditForm(), keep_typing=True):
        actions.edit(
            comment,
            form.comment.data,
            form.author.data.strip(),
            form.normalized_email,
            form.normalized_url,
            current_user._get_current_object(),
            status=CommentStatus(form.status.data) if form.status.data else None,
        )
        flash("Comment updated.", "success")
        return redirect(back_to_queue(form.next.data), 303)
    status = failure_status(form) if request.method == "POST" else 200
    html = render_template(
        "admin/edit.html", comment=comment, form=form, statuses=list(CommentStatus), back=back_to_queue(form.next.data)
    )
    return html, status


@bp.route(f"{COMMENT}/reply", methods=["GET", "POST"])
@moderator_required
def reply(comment_id):
    """Reply to a comment as the signed-in moderator; a pending comment is approved with the reply."""
    parent = db.get_or_404(Comment, comment_id)
    if request.method == "GET":
        form = ReplyForm(formdata=None, next=back_to_queue(request.args.get("next")))
    elif checked(form := ReplyForm(), keep_typing=True):
        was_pending = parent.status is CommentStatus.PENDING
        try:
            actions.reply(
                parent,
                form.comment.data,
                current_user._get_current_object(),
                ip=request.remote_addr or "",
                user_agent=request.user_agent.string,
            )
        except actions.ActionError as error:
            flash(str(error), "error")
            return redirect(back_to_queue(form.next.data), 303)
        flash("Comment approved and reply posted." if was_pending else "Reply posted.", "success")
        return redirect(back_to_queue(form.next.data), 303)
    status = failure_status(form) if request.method == "POST" else 200
    return render_template("admin/reply.html", comment=parent, form=form, back=back_to_queue(form.next.data)), status


@bp.after_request
def _private(response):
    # Commenters' emails and addresses are on these pages: never cached by anyone.
    response.headers["Cache-Control"] = "no-store"
    return response
