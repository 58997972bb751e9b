"""``flask export wxr FILE``: the site as WXR 1.2, the file WordPress's importer (Tools → Import) reads.

Articles and pages are written one at a time with their comments (threads, statuses, pings), so the
file is never held in memory whole. A comment's text is written as its author typed it, which is what
WordPress stores; an article's is its rendered HTML, with absolute image addresses.

WordPress's importer reads the file with SimpleXML and, when that refuses it, with a regular-expression
parser that reads line by line. The file is written for both: every text is CDATA or escaped and holds
only characters XML 1.0 allows, each author is on one line and each comment field on a line of its own,
as WordPress's own export writes them. Titles and names are HTML, as WordPress keeps them.
"""

import html
import re
from collections import Counter
from datetime import UTC
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import sqlalchemy as sa
from flask import current_app

from blog.core.extensions import db
from blog.core.models import Article, ArticleKind, ArticleStatus, Comment, CommentStatus, utcnow
from blog.publishing.tags import tag_slug

WP = "http://wordpress.org/export/1.2/"
APPROVED = {
    CommentStatus.APPROVED: "1",
    CommentStatus.PENDING: "0",
    CommentStatus.SPAM: "spam",
    CommentStatus.TRASH: "trash",
}


# XML 1.0 holds tab, newline, carriage return and U+0020 onwards, less the surrogates and U+FFFE/U+FFFF.
# Any other character (a control character pasted into a title, a lone surrogate) makes the whole file
# unreadable to SimpleXML, so it is dropped wherever text is written.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_chars(text: str | None) -> str:
    """Return text without the characters XML 1.0 cannot hold."""
    return _NOT_XML.sub("", text or "")


def cdata(text: str | None) -> str:
    """Return text as CDATA, however it is made (a ``]]>`` inside is split across two sections)."""
    return "<![CDATA[" + xml_chars(text).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _escape(text: str | None) -> str:
    return escape(xml_chars(text))


def _date(value) -> str:
    # WordPress writes post_date and comment_date in the site's time zone and the _gmt fields in UTC. The
    # blog has no time zone setting and shows every date in UTC, so its local time is UTC: both are alike.
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _as_html(text: str) -> str:
    """Return a title as WordPress keeps it: HTML (its regular-expression parser does not decode entities)."""
    return html.escape(text, quote=False)


def _name(text: str) -> str:
    """Return a commenter's, an author's or a tag's name as WordPress keeps it: HTML, with ``%`` as ``&#037;``.

    Its importer strips tags from a name, escapes a bare & and drops a % with two hex digits after it as if
    it were URL-encoding ("Ada <Reader>" arrived as "Ada", "100%ab Club" as "100 Club"); and it finds a
    comment it already holds by the name as stored, so the name is written as its filters leave it (they
    write a numeric reference with three digits at least). Written so, a name arrives whole and is found again.
    """
    return _as_html(text).replace("%", "&#037;")


def _logins(names) -> dict[str, str]:
    """Give each author (by display name) a login of their own, as WordPress's users table requires: ASCII
    letters, digits and hyphens, at most 60 characters; names that fold alike get ``-2``, ``-3``..."""
    logins: dict[str, str] = {}
    for name in sorted(set(names)):
        base = tag_slug(name)[:60] or "editor"
        login, n = base, 1
        while login in logins.values():
            n += 1
            login = f"{base[: 59 - len(str(n))]}-{n}"
        logins[name] = login
    return logins


def _html(article: Article, site_url: str) -> str:
    body = re.sub(r'\s*<a class="header-anchor"[^>]*>#</a>', "", article.html)
    # /media/ and other site paths become absolute, so the importer on another host can find them.
    body = re.sub(r'(\s(?:src|href)=")/(?!/)', rf"\1{site_url}/", body)
    return re.sub(
        r'(\ssrcset=")([^"]*)"',
        lambda m: m.group(1) + ", ".join(_absolute(part.strip(), site_url) for part in m.group(2).split(",")) + '"',
        body,
    )


def _absolute(candidate: str, site_url: str) -> str:
    return site_url + candidate if candidate.startswith("/") and not candidate.startswith("//") else candidate


def write(path: Path, site_url: str) -> Counter:
    """Write every article and page that is not withdrawn, with its comments; return what was written."""
    counts: Counter = Counter()
    articles = db.session.scalars(
        sa.select(Article).where(Article.status != ArticleStatus.WITHDRAWN).order_by(Article.published_at, Article.id)
    ).all()
    config = current_app.config
    logins = _logins(a.author or config["SITE_AUTHOR"] for a in articles)
    author_ids = {login: n for n, login in enumerate(sorted(logins.values()), 1)}
    tags = sorted({(tag_slug(t), str(t)) for a in articles for t in a.tags})
    now = utcnow()
    with Path(path).open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8" ?>\n')
        out.write(
            '<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"'
            ' xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/"'
            f' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="{WP}">\n<channel>\n'
        )
        out.write(f"<title>{_escape(config['SITE_NAME'])}</title>\n<link>{_escape(site_url)}</link>\n")
        out.write(f"<description>{_escape(config['SITE_DESCRIPTION'])}</description>\n")
        out.write(f"<pubDate>{format_datetime(now)}</pubDate>\n<language>en</language>\n")
        out.write(f"<wp:wxr_version>1.2</wp:wxr_version>\n<wp:base_site_url>{_escape(site_url)}</wp:base_site_url>\n")
        out.write(f"<wp:base_blog_url>{_escape(site_url)}</wp:base_blog_url>\n")
        for name, login in sorted(logins.items(), key=lambda pair: pair[1]):
            out.write(
                f"<wp:author><wp:author_id>{author_ids[login]}</wp:author_id><wp:author_login>{cdata(login)}"
                f"</wp:author_login><wp:author_email></wp:author_email><wp:author_display_name>{cdata(_name(name))}"
                "</wp:author_display_name></wp:author>\n"
            )
        for n, (slug, name) in enumerate(tags, 1):
            out.write(
                f"<wp:tag><wp:term_id>{n}</wp:term_id><wp:tag_slug>{cdata(slug)}</wp:tag_slug>"
                f"<wp:tag_name>{cdata(_name(name))}</wp:tag_name></wp:tag>\n"
            )
        for article in articles:
            login = logins[article.author or config["SITE_AUTHOR"]]
            counts["pages" if article.kind is ArticleKind.PAGE else "posts"] += 1
            counts["comments"] += _item(out, article, site_url, login, author_ids[login], now)
        out.write("</channel>\n</rss>\n")
    return counts


def _item(out, article: Article, site_url: str, login: str, author_id: int, now) -> int:
    status = "draft" if article.status is ArticleStatus.DRAFT else "future" if article.published_at > now else "publish"
    out.write("<item>\n")
    # WordPress keeps a title as HTML (its importer, and ours, read it so), and its regular-expression parser
    # takes what lies between the tags without decoding entities: so the title is HTML, in CDATA.
    out.write(f"<title>{cdata(_as_html(article.title))}</title>\n")
    out.write(f"<link>{_escape(f'{site_url}/{article.slug}/')}</link>\n")
    out.write(f"<pubDate>{format_datetime(article.published_at)}</pubDate>\n<dc:creator>{cdata(login)}</dc:creator>\n")
    out.write(
        f'<guid isPermaLink="false">{_escape(f"{site_url}/?p={article.id}")}</guid>\n<description></description>\n'
    )
    out.write(f"<content:encoded>{cdata(_html(article, site_url))}</content:encoded>\n")
    out.write(f"<excerpt:encoded>{cdata(article.summary)}</excerpt:encoded>\n")
    out.write(f"<wp:post_id>{article.id}</wp:post_id>\n")
    out.write(f"<wp:post_date>{_date(article.published_at)}</wp:post_date>\n")
    out.write(f"<wp:post_date_gmt>{_date(article.published_at)}</wp:post_date_gmt>\n")
    out.write(f"<wp:comment_status>{'open' if article.comments_open else 'closed'}</wp:comment_status>\n")
    out.write(f"<wp:ping_status>closed</wp:ping_status>\n<wp:post_name>{cdata(article.slug)}</wp:post_name>\n")
    out.write(f"<wp:status>{status}</wp:status>\n<wp:post_parent>0</wp:post_parent>\n")
    out.write(f"<wp:menu_order>{article.nav_order or 0}</wp:menu_order>\n")
    out.write(f"<wp:post_type>{'page' if article.kind is ArticleKind.PAGE else 'post'}</wp:post_type>\n")
    out.write("<wp:post_password></wp:post_password>\n<wp:is_sticky>0</wp:is_sticky>\n")
    for tag in map(str, article.tags):
        out.write(f'<category domain="post_tag" nicename={quoteattr(tag_slug(tag))}>{cdata(_name(tag))}</category>\n')
    written = 0
    comments = db.session.scalars(
        sa.select(Comment).where(Comment.article_id == article.id).order_by(Comment.created_at, Comment.id)
    )
    for c in comments:
        written += 1
        _comment(out, c, author_id)
    out.write("</item>\n")
    return written


def _comment(out, c: Comment, author_id: int) -> None:
    # One field a line, as WordPress's export writes them: its regular-expression parser reads line by line.
    # comment_type is WordPress's own name for each kind ("comment", "pingback", "trackback").
    fields = (
        ("comment_id", c.id),
        ("comment_author", cdata(_name(c.author_name))),
        ("comment_author_email", cdata(c.author_email)),
        ("comment_author_url", cdata(c.author_url)),
        ("comment_author_IP", cdata(c.author_ip)),
        ("comment_date", _date(c.created_at)),
        ("comment_date_gmt", _date(c.created_at)),
        ("comment_content", cdata(c.raw_text)),
        ("comment_approved", APPROVED[c.status]),
        ("comment_type", c.kind.value),
        ("comment_parent", c.parent_id or 0),
        ("comment_user_id", author_id if c.by_post_author else 0),
        ("comment_agent", cdata(c.user_agent)),
    )
    out.write("<wp:comment>\n")
    for name, value in fields:
        out.write(f"<wp:{name}>{value}</wp:{name}>\n")
    out.write("</wp:comment>\n")
