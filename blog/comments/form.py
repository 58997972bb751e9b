"""The Leave a Reply form: WordPress's field names, labels, limits and messages (SPEC §4)."""

import re
from urllib.parse import urlsplit, urlunsplit

import idna
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from wtforms import BooleanField, Form, HiddenField, StringField, TextAreaField
from wtforms.validators import Optional, StopValidation

from blog.comments.csrf import ArticleCSRF
from blog.core import normalise, sanitize

# WordPress's column sizes (wp_get_comment_fields_max_lengths).
MAX_COMMENT = 65525
MAX_AUTHOR = 245
MAX_EMAIL = 100
MAX_URL = 200

# Checked by the post service, which asks the database for the moderators' names (blog/comments/posting.py).
MODERATOR_NAME = "That name belongs to a moderator of this site. Please choose another."

CONSENT_LABEL = "Save my name, email, and website in this browser for the next time I comment."
NOTIFY_APPROVED_LABEL = "Notify me when my comment is approved"
SUBSCRIBE_LABEL = "Notify me of replies by email"


def strip_filter(value):
    return value.strip() if isinstance(value, str) else value


def text_filter(value):
    """A comment as it will be stored: Unix newlines, no control characters, no surrounding space."""
    return sanitize.normalise_text(value).strip() if isinstance(value, str) else value


def line_filter(value):
    """A name as it will be stored: one line, no control characters."""
    return sanitize.one_line(value) if isinstance(value, str) else value


def email_filter(value):
    # What a browser's <input type=email> submits: newlines removed, then surrounding whitespace.
    if not isinstance(value, str):
        return value
    return value.replace("\r", "").replace("\n", "").strip(" \t\f")


class Required:
    """Refuse an empty field with WordPress's message, and stop checking it."""

    field_flags = {"required": True}

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field):
        if not field.data:
            field.errors[:] = []
            raise StopValidation(self.message)


class ReadableName:
    """Refuse a name that hides what it says: text-direction controls (which can show it backwards or
    as something else), or nothing visible at all."""

    def __call__(self, form, field):
        if normalise.BIDI_CONTROL.search(field.data):
            raise StopValidation("Your name contains characters that change the direction of text. Please remove them.")
        if not normalise.has_visible(field.data):
            raise StopValidation("Please enter your name.")


class MaxLength:
    """Refuse a value longer than its database column, and stop checking it."""

    def __init__(self, limit: int, message: str):
        self.limit = limit
        self.message = message

    def __call__(self, form, field):
        if field.data and len(field.data) > self.limit:
            raise StopValidation(self.message)


class VisibleText:
    """Refuse a comment that shows nothing once cleaned (only tags, spaces or invisible characters)."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field):
        # The one cleaning of the text: the post keeps this HTML (field.html) for the rules and the row.
        field.html = sanitize.clean_comment(field.data)
        if not sanitize.has_visible_text(field.html):
            raise StopValidation(self.message)


class EmailAddress:
    """Accept an address email-validator accepts; keep its normalised form in ``field.normalized``."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field):
        try:
            result = validate_email(
                field.data,
                check_deliverability=bool(current_app.config.get("COMMENT_CHECK_DELIVERABILITY")),
            )
        except EmailNotValidError:
            raise StopValidation(self.message) from None
        if len(result.local_part.encode()) > 64:  # RFC 5321's limit, which email-validator lets pass
            raise StopValidation(self.message)
        if len(result.normalized) > MAX_EMAIL:
            raise StopValidation("Your email address is too long.")
        field.normalized = result.normalized


_HOST = re.compile(r"^(?=.{1,253}$)[^\s/?#@:]+(\.[^\s/?#@:.]+)+\.?$|^localhost$", re.I)


def normalise_url(value: str) -> str | None:
    """Return the website address with its scheme, or None unless it is a plain http(s) address.

    Like WordPress's esc_url, an address typed without a scheme ("example.com/me") gets ``http://``.
    An international domain name is kept in its ASCII (punycode) form, which shows a look-alike for what
    it is; an address holding invisible or text-direction characters is refused.
    """
    if not value:
        return ""
    if not re.match(r"^[a-z][a-z0-9+.-]*:", value, re.I):
        value = "http://" + value
    if re.search(r"[\s\x00-\x1f\x7f<>\"'`\\]", value) or normalise.INVISIBLE.search(value):
        return None
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError on a port that is not a number
    except ValueError:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    host = parts.hostname or ""
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError:
            return None
        value = urlunsplit(parts._replace(netloc=host if port is None else f"{host}:{port}"))
    if parts.scheme.lower() not in ("http", "https") or not _HOST.match(host):
        return None
    return value


class WebAddress:
    """Accept an http or https address; keep the address with its scheme in ``field.normalized``."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field):
        url = normalise_url(field.data)
        if url is None:
            raise StopValidation(self.message)
        if len(url) > MAX_URL:
            raise StopValidation("Your website address is too long.")
        field.normalized = url


# The fields, declared once: the public form and the admin's edit and reply forms are built from them.


def comment_field(label="Comment", empty="Please type your comment text.", too_long="Your comment is too long."):
    """The comment text: filtered as it will be stored, refused when empty, too long or with nothing visible."""
    return TextAreaField(
        label,
        filters=[text_filter],
        validators=[Required(empty), MaxLength(MAX_COMMENT, too_long), VisibleText(empty)],
    )


def author_field():
    return StringField(
        "Name",
        filters=[line_filter],
        validators=[
            Required("Please enter your name."),
            MaxLength(MAX_AUTHOR, "Your name is too long."),
            ReadableName(),
        ],
    )


def email_field(required: bool):
    """The commenter's address; without ``required`` an empty one is accepted (a moderator may clear it)."""
    return StringField(
        "Email",
        filters=[email_filter],
        validators=[
            Required("Please enter your email address.") if required else Optional(),
            MaxLength(MAX_EMAIL, "Your email address is too long."),
            EmailAddress("Please enter a valid email address."),
        ],
    )


def url_field():
    return StringField(
        "Website",
        filters=[strip_filter],
        validators=[
            MaxLength(MAX_URL, "Your website address is too long."),
            WebAddress("Please enter a valid website address (http or https)."),
        ],
    )


def failure_status(form) -> int:
    """The status of a form shown again after a refused POST: 400 for a missing or stale token, else 422."""
    return 400 if form.csrf_token.errors else 422


class AuthorFields:
    """The commenter's email and website as stored: what EmailAddress and WebAddress made of them."""

    @property
    def normalized_email(self) -> str:
        return getattr(self.email, "normalized", self.email.data or "")

    @property
    def normalized_url(self) -> str:
        return getattr(self.url, "normalized", "") if self.url.data else ""


class CommentForm(AuthorFields, Form):
    """Leave a Reply, as WordPress's comment_form() has it, plus a honeypot and a CSRF token."""

    class Meta:
        csrf = True
        csrf_class = ArticleCSRF
        csrf_field_name = "csrf_token"

    comment = comment_field()
    author = author_field()
    email = email_field(required=True)
    url = url_field()
    consent = BooleanField(CONSENT_LABEL, name="wp-comment-cookies-consent")
    # Opt-in only (SPEC §12): both unticked unless the commenter ticks them.
    notify_approved = BooleanField(NOTIFY_APPROVED_LABEL, name="notify-approved")
    subscribe = BooleanField(SUBSCRIBE_LABEL, name="subscribe")
    # Checked by the service, which answers 403 (not 422) for a parent that is not allowed.
    comment_parent = HiddenField(default="0")
    # The honeypot: hidden from people (comments.css, aria-hidden, tabindex=-1); bots fill it in.
    phone = StringField("Phone", filters=[strip_filter])

    FIELD_ORDER = ("comment", "author", "email", "url")

    def validate(self, extra_validators=None):
        """Check the token first, and the fields only with a valid one.

        Cleaning a comment costs far more than an HMAC: a forged or stale post is refused (400, the
        form kept as typed) before any of its text is cleaned.
        """
        if self.meta.csrf and not self.csrf_token.validate(self):
            return False
        return super().validate(extra_validators)

    @property
    def field_errors(self) -> list[tuple[str, str]]:
        """Return (field id, message) for every visible field that failed, in the form's order."""
        return [(name, message) for name in self.FIELD_ORDER for message in self[name].errors]


class EditForm(Form):
    """The author's own edit of their comment, within the edit window: the text alone, checked as on posting."""

    class Meta:
        csrf = True
        csrf_class = ArticleCSRF
        csrf_field_name = "csrf_token"

    comment = comment_field()

    FIELD_ORDER = ("comment",)

    def validate(self, extra_validators=None):
        """Check the token first, as CommentForm does."""
        if self.meta.csrf and not self.csrf_token.validate(self):
            return False
        return super().validate(extra_validators)
