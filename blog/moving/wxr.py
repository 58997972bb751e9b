"""Read a WordPress export (WXR 1.0, 1.1, 1.2) one item at a time, safely.

WXR is RSS 2.0 with WordPress's ``wp:`` namespace, whose URI changed with each version and with
http→https; names are matched on their local part, so every version reads alike. The file is parsed
incrementally with defusedxml (each item is handed over, then dropped), so a 100 MB export costs the
memory of its largest item, and a file that declares a DTD (entity bombs, external entities reading
local files) is refused before any entity is expanded.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse


class WXRError(Exception):
    """The file is not a WXR file we can read; the message says where and why."""


@dataclass
class WPComment:
    id: int
    author: str = ""
    email: str = ""
    url: str = ""
    ip: str = ""
    agent: str = ""
    date_gmt: datetime | None = None
    content: str = ""
    approved: str = "1"
    type: str = ""
    parent: int = 0
    user_id: int = 0


@dataclass
class Item:
    """One ``<item>``: a post, a page, an attachment, or anything else WordPress stores as a post."""

    id: int
    type: str = "post"
    title: str = ""
    link: str = ""
    name: str = ""  # the slug, URL-encoded as WordPress keeps it
    status: str = ""
    date_gmt: datetime | None = None
    creator: str = ""
    content: str = ""
    excerpt: str = ""
    password: str = ""
    parent: int = 0
    menu_order: int = 0
    comment_status: str = "open"
    attachment_url: str = ""
    categories: list[tuple[str, str, str]] = field(default_factory=list)  # (domain, nicename, name)
    meta: dict[str, str] = field(default_factory=dict)
    comments: list[WPComment] = field(default_factory=list)


@dataclass
class Site:
    """What the channel says of the site: its address and its authors (login → display name)."""

    title: str = ""
    link: str = ""
    base_url: str = ""
    authors: dict[str, str] = field(default_factory=dict)
    author_ids: dict[str, int] = field(default_factory=dict)  # login → user id, to know the author's comments


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _is_wp(tag: str) -> bool:
    return "wordpress.org/export/" in _namespace(tag) and "/excerpt/" not in _namespace(tag)


def _int(text: str | None) -> int:
    try:
        return int((text or "").strip() or 0)
    except ValueError:
        return 0


def parse_gmt(text: str | None) -> datetime | None:
    """Return a WXR ``YYYY-MM-DD HH:MM:SS`` (UTC) as an aware datetime, or None for none (``0000-…``)."""
    text = (text or "").strip()
    if not text or text.startswith("0000"):
        return None
    try:
        return datetime.fromisoformat(text.replace(" ", "T")).replace(tzinfo=UTC)
    except ValueError:
        return None


def _rfc822(text: str | None) -> datetime | None:
    try:
        value = parsedate_to_datetime((text or "").strip())
    except (TypeError, ValueError, IndexError):
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _text(element) -> str:
    return element.text or ""


def _item(element) -> Item:
    item = Item(id=0)
    local_date = None
    for child in element:
        name, value = _local(child.tag), _text(child)
        if name == "title":
            item.title = value
        elif name == "link":
            item.link = value.strip()
        elif name == "creator":
            item.creator = value.strip()
        elif name == "encoded":
            if "excerpt" in _namespace(child.tag):
                item.excerpt = value
            else:
                item.content = value
        elif name == "category":
            item.categories.append((child.get("domain", ""), child.get("nicename", ""), value.strip()))
        elif name == "pubDate" and item.date_gmt is None:
            local_date = _rfc822(value)
        elif not _is_wp(child.tag):
            continue
        elif name == "post_id":
            item.id = _int(value)
        elif name == "post_type":
            item.type = value.strip()
        elif name == "post_name":
            item.name = value.strip()
        elif name == "status":
            item.status = value.strip()
        elif name == "post_date_gmt":
            item.date_gmt = parse_gmt(value)
        elif name == "post_date":
            local_date = local_date or parse_gmt(value)  # the site's time, when the GMT date is missing
        elif name == "post_password":
            item.password = value.strip()
        elif name == "post_parent":
            item.parent = _int(value)
        elif name == "menu_order":
            item.menu_order = _int(value)
        elif name == "comment_status":
            item.comment_status = value.strip()
        elif name == "attachment_url":
            item.attachment_url = value.strip()
        elif name == "postmeta":
            key = next((_text(c) for c in child if _local(c.tag) == "meta_key"), "")
            item.meta[key] = next((_text(c) for c in child if _local(c.tag) == "meta_value"), "")
        elif name == "comment":
            item.comments.append(_comment(child))
    if item.date_gmt is None:
        item.date_gmt = local_date
    return item


_COMMENT_FIELDS = {
    "comment_author": "author",
    "comment_author_email": "email",
    "comment_author_url": "url",
    "comment_author_IP": "ip",
    "comment_agent": "agent",
    "comment_content": "content",
    "comment_approved": "approved",
    "comment_type": "type",
}


def _comment(element) -> WPComment:
    comment = WPComment(id=0)
    local_date = None
    for child in element:
        name, value = _local(child.tag), _text(child)
        if name in _COMMENT_FIELDS:
            setattr(comment, _COMMENT_FIELDS[name], value if name == "comment_content" else value.strip())
        elif name == "comment_id":
            comment.id = _int(value)
        elif name == "comment_parent":
            comment.parent = _int(value)
        elif name == "comment_user_id":
            comment.user_id = _int(value)
        elif name == "comment_date_gmt":
            comment.date_gmt = parse_gmt(value)
        elif name == "comment_date":
            local_date = parse_gmt(value)
    comment.date_gmt = comment.date_gmt or local_date
    return comment


def read(path: Path, site: Site | None = None) -> Iterator[Item]:
    """Yield every item of the WXR file, in file order; fill ``site`` from the channel as it is read.

    :raise WXRError: for a file that is not well-formed XML (with its line and column), that declares a
        DTD or entities, or that is not a WordPress export. Items already yielded were valid; a caller
        that wants all or nothing reads the whole file before acting.
    """
    site = site if site is not None else Site()
    stack = []
    wordpress = False
    try:
        events = iterparse(str(path), events=("start", "end"), forbid_dtd=True)
        for event, element in events:
            if event == "start":
                if not stack and _local(element.tag) != "rss":
                    raise WXRError(f"not a WordPress export: the document is <{_local(element.tag)}>, not <rss>")
                wordpress = wordpress or _is_wp(element.tag)
                stack.append(element)
                continue
            stack.pop()
            name = _local(element.tag)
            parent = _local(stack[-1].tag) if stack else ""
            if parent != "channel":
                continue
            if name == "item":
                if not wordpress:
                    raise WXRError("not a WordPress export: an RSS item without WordPress's wp: fields")
                yield _item(element)
            elif name == "title":
                site.title = _text(element).strip()
            elif name == "link":
                site.link = _text(element).strip()
            elif name == "base_blog_url" or (name == "base_site_url" and not site.base_url):
                site.base_url = _text(element).strip()
            elif name == "author" and _is_wp(element.tag):
                fields = {_local(c.tag): _text(c).strip() for c in element}
                login = fields.get("author_login", "")
                site.authors[login] = fields.get("author_display_name") or login
                site.author_ids[login] = _int(fields.get("author_id"))
            stack[-1].remove(element)  # an item handed over is dropped, so memory stays one item's
    except ParseError as e:
        line, column = e.position
        raise WXRError(f"line {line}, column {column + 1}: not well-formed XML ({_reason(e)})") from None
    except DefusedXmlException as e:
        raise WXRError(
            f"refused: the file declares a DTD or entities ({type(e).__name__}); a WordPress export has "
            "none, and they could expand without bound or read local files"
        ) from None
    if not wordpress:
        raise WXRError("not a WordPress export: no wp: elements (WordPress makes one at Tools → Export)")


def _reason(e: ParseError) -> str:
    return str(e).split(":", 1)[0]
