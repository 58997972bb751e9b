"""Where a comment is held for moderation: small rules, run in order, first match wins (SPEC §5).

Each rule looks at a candidate comment and the settings and returns ``(status, reason)`` or None. The
reason is stored with the comment (Comment.reasons) so that a moderator can see why it was held.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from blog.core.models import CommentStatus
from blog.core.sanitize import links_in
from blog.spam.model import Verdict as SpamVerdict

Verdict = tuple[CommentStatus, str]


@dataclass(frozen=True)
class Candidate:
    """What the rules may look at: the comment as submitted, and one fact about its author."""

    text: str
    html: str  # the text as cleaned (blog/core/sanitize.py): the links it shows
    author: str = ""
    email: str = ""
    url: str = ""
    ip: str = ""
    user_agent: str = ""
    honeypot: str = ""
    # Whether this email already has an approved comment (only needed for `previously-approved`).
    previously_approved: bool = False
    # The spam filter's verdict (blog/spam/), scored before the rules run; None: not scored.
    spam: SpamVerdict | None = None

    def fields(self) -> tuple[str, ...]:
        return (self.author, self.email, self.url, self.text, self.ip, self.user_agent)


def _matching_key(keys: list[str], candidate: Candidate) -> str | None:
    # WordPress matches a key anywhere in any field, ignoring case ("press" matches "WordPress").
    haystacks = [field.casefold() for field in candidate.fields()]
    for key in keys:
        needle = key.casefold()
        if any(needle in haystack for haystack in haystacks):
            return key
    return None


def honeypot(candidate: Candidate, config: Mapping) -> Verdict | None:
    """A field no person can see was filled in: a bot."""
    if candidate.honeypot:
        return CommentStatus.SPAM, "honeypot"
    return None


def disallowed_key(candidate: Candidate, config: Mapping) -> Verdict | None:
    """A disallowed word, email or IP anywhere in the comment: straight to the trash (WordPress 5.5+)."""
    key = _matching_key(config["COMMENT_DISALLOWED_KEYS"], candidate)
    if key is not None:
        return CommentStatus.TRASH, f"disallowed key: {key}"
    return None


def spam_score(candidate: Candidate, config: Mapping) -> Verdict | None:
    """The spam filter scores it at the threshold or above: spam, with the features that weighed most."""
    if candidate.spam is not None and candidate.spam.score >= config["SPAM_THRESHOLD"]:
        return CommentStatus.SPAM, candidate.spam.reason()
    return None


def too_many_links(candidate: Candidate, config: Mapping) -> Verdict | None:
    """As many links as the setting allows, or more (bare URLs count): hold. 0 turns the rule off."""
    limit = config["COMMENT_MAX_LINKS"]
    if limit <= 0:
        return None
    links = links_in(candidate.html)
    if links >= limit:
        return CommentStatus.PENDING, f"{links} links" if links != 1 else "1 link"
    return None


def moderation_key(candidate: Candidate, config: Mapping) -> Verdict | None:
    """A moderation word, email or IP anywhere in the comment: hold."""
    key = _matching_key(config["COMMENT_MODERATION_KEYS"], candidate)
    if key is not None:
        return CommentStatus.PENDING, f"moderation key: {key}"
    return None


def moderation_setting(candidate: Candidate, config: Mapping) -> Verdict:
    """Otherwise the `moderation` setting decides: all (the default), previously-approved or none."""
    mode = config["COMMENT_MODERATION"]
    if mode == "none":
        return CommentStatus.APPROVED, "moderation off"
    if mode == "previously-approved":
        if candidate.previously_approved:
            return CommentStatus.APPROVED, "previously approved author"
        return CommentStatus.PENDING, "first comment from this email"
    # "all", and anything unrecognised: a typo in the setting must not publish comments unseen.
    return CommentStatus.PENDING, "held for moderation"


RULES = (honeypot, disallowed_key, spam_score, too_many_links, moderation_key, moderation_setting)


def decide(candidate: Candidate, config: Mapping, rules=RULES) -> tuple[CommentStatus, list[str]]:
    """Return the status of a new comment and the reasons for it: the first rule that matches."""
    for rule in rules:
        verdict = rule(candidate, config)
        if verdict is not None:
            status, reason = verdict
            return status, [reason]
    return CommentStatus.PENDING, ["held for moderation"]


def comments_closed(article, config: Mapping, now: datetime) -> bool:
    """Whether the article takes no more comments: closed in its front matter, or too old."""
    if not article.comments_open:
        return True
    days = config["CLOSE_COMMENTS_DAYS"]
    return days > 0 and now - article.published_at > timedelta(days=days)
