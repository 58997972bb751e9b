"""Rows for tests that need articles and comments without going through the publish or post pipeline.

The one place tests make articles and comments. Call inside an app context; each returns the stored
object. The session expires it on commit, so read what you need (``.id``, ``.slug``) before the app
context ends.
"""

from datetime import timedelta
from itertools import count

from blog.core.extensions import db
from blog.core.models import Article, ArticleStatus, ArticleTag, Comment, CommentStatus, Moderator, utcnow
from blog.core.sanitize import clean_comment
from blog.moderation.accounts import create_moderator
from blog.publishing.tags import tag_slug

PASSWORD = "correct horse battery staple"

_serial = count(1)


def make_article(slug: str | None = None, title: str | None = None, *, days_old: int = 3, **fields) -> Article:
    """Store a published article, open for comments, as the publish pipeline would; ``fields`` set any
    other column."""
    n = next(_serial)
    values = {
        "slug": slug or f"article-{n}",
        "title": title or f"Article {n}",
        "author": "Ada Writer",
        "summary": f"The summary of article {n}.",
        "description": f"The description of article {n}.",
        "status": ArticleStatus.PUBLISHED,
        "published_at": utcnow() - timedelta(days=days_old),
        "html": f"<p>The body of article {n}.</p>",
    }
    values.update(fields)
    article = Article(**values)
    # As publishing stores them: one row per tag slug, the first spelling kept.
    slugs = {}
    for name in article.tags or []:
        slugs.setdefault(tag_slug(name), name)
    article.tag_rows = [ArticleTag(slug=slug, name=name) for slug, name in slugs.items()]
    db.session.add(article)
    db.session.commit()
    return article


def make_comment(
    article: Article,
    text: str | None = None,
    *,
    status: CommentStatus = CommentStatus.APPROVED,
    parent: Comment | None = None,
    author: str | None = None,
    email: str | None = None,
    url: str = "",
    ip: str = "192.0.2.10",
    reasons=None,
    age: timedelta = timedelta(minutes=1),
    **fields,
) -> Comment:
    """Store a comment straight into the database (the post path is tested through the form).

    Approved unless ``status`` says otherwise; a pending one carries the reason the rules give a
    first-time commenter. Each comment gets its own author and email, so the rules that look at earlier
    comments (duplicates, known commenters) see strangers. ``age`` is how long ago it was written;
    ``fields`` set any other column (``html``, ``created_at``...).
    """
    n = next(_serial)
    text = f"Comment {n}." if text is None else text
    if reasons is None:
        reasons = ["held for moderation"] if status is CommentStatus.PENDING else []
    created_at = fields.pop("created_at", None) or utcnow() - age
    values = {
        "article_id": article.id,
        "parent_id": parent.id if parent is not None else None,
        "author_name": author or f"Reader {n}",
        "author_email": email or f"reader{n}@example.org",
        "author_url": url,
        "author_ip": ip,
        "user_agent": "pytest",
        "raw_text": text,
        "html": clean_comment(text),
        "status": status,
        "reasons": list(reasons),
        "created_at": created_at,
        "approved_at": created_at if status is CommentStatus.APPROVED else None,
    }
    values.update(fields)
    comment = Comment(**values)
    db.session.add(comment)
    db.session.commit()
    return comment


def make_moderator(username: str = "mod", password: str = PASSWORD, email: str = "mod@example.org") -> Moderator:
    """Store a moderator through the account rules the ``flask moderator create`` command uses."""
    return create_moderator(username, password, email)


WXR_HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
{doctype}<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/{version}/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:wp="{wp}">
<channel>
<title>Old Site</title>
<link>https://old.example.org/blog</link>
<wp:wxr_version>{version}</wp:wxr_version>
<wp:base_site_url>https://old.example.org/blog</wp:base_site_url>
<wp:author><wp:author_id>7</wp:author_id><wp:author_login>ada</wp:author_login>
<wp:author_display_name><![CDATA[Ada Writer]]></wp:author_display_name></wp:author>
"""


def wxr_comment(
    id: int, text: str = "", *, parent: int = 0, approved: str = "1", type: str = "", user_id: int = 0, **fields
) -> str:
    """Return one ``<wp:comment>``: a reader's approved comment unless told otherwise."""
    values = {
        "author": f"Reader {id}",
        "author_email": f"reader{id}@example.org",
        "author_url": "",
        "author_IP": "192.0.2.1",
        "date_gmt": f"2020-01-01 10:{id % 60:02d}:00",
    }
    values.update(fields)
    return (
        f"<wp:comment><wp:comment_id>{id}</wp:comment_id>"
        f"<wp:comment_author><![CDATA[{values['author']}]]></wp:comment_author>"
        f"<wp:comment_author_email>{values['author_email']}</wp:comment_author_email>"
        f"<wp:comment_author_url>{values['author_url']}</wp:comment_author_url>"
        f"<wp:comment_author_IP>{values['author_IP']}</wp:comment_author_IP>"
        f"<wp:comment_date_gmt>{values['date_gmt']}</wp:comment_date_gmt>"
        f"<wp:comment_content><![CDATA[{text or f'Comment {id}.'}]]></wp:comment_content>"
        f"<wp:comment_approved>{approved}</wp:comment_approved><wp:comment_type>{type}</wp:comment_type>"
        f"<wp:comment_parent>{parent}</wp:comment_parent><wp:comment_user_id>{user_id}</wp:comment_user_id>"
        "</wp:comment>"
    )


def wxr_item(
    id: int,
    slug: str,
    content: str = "<p>Hello.</p>",
    *,
    title: str | None = None,
    type: str = "post",
    status: str = "publish",
    date_gmt: str = "2020-01-01 09:00:00",
    comments: tuple[str, ...] = (),
    extra: str = "",
) -> str:
    """Return one ``<item>`` of a WXR file: a published post by Ada unless told otherwise."""
    return (
        f"<item><title>{title or slug.replace('-', ' ').title()}</title>"
        f"<link>https://old.example.org/blog/{date_gmt[:10].replace('-', '/')}/{slug}/</link>"
        "<dc:creator>ada</dc:creator>"
        f"<content:encoded><![CDATA[{content}]]></content:encoded><excerpt:encoded><![CDATA[]]></excerpt:encoded>"
        f"<wp:post_id>{id}</wp:post_id><wp:post_date>{date_gmt}</wp:post_date>"
        f"<wp:post_date_gmt>{date_gmt}</wp:post_date_gmt><wp:comment_status>open</wp:comment_status>"
        f"<wp:post_name>{slug}</wp:post_name><wp:status>{status}</wp:status><wp:post_parent>0</wp:post_parent>"
        f"<wp:post_type>{type}</wp:post_type><wp:post_password></wp:post_password>{extra}"
        + "".join(comments)
        + "</item>\n"
    )


def make_wxr(path, *items: str, version: str = "1.2", https: bool = False, doctype: str = "") -> str:
    """Write a WXR file of these items (see ``wxr_item``) at ``path``; return its path as text.

    :param version: the WXR version its namespace names (1.0, 1.1 or 1.2).
    :param https: name the wp: namespace with https://, as some exporters do.
    """
    wp = f"{'https' if https else 'http'}://wordpress.org/export/{version}/"
    text = WXR_HEAD.format(doctype=doctype, version=version, wp=wp) + "".join(items) + "</channel>\n</rss>\n"
    path.write_text(text, encoding="utf-8")
    return str(path)


def make_large_wxr(path, megabytes: int, *, posts: int = 500, comments_per_post: int = 20) -> int:
    """Write a WXR file of about ``megabytes`` MB, one post at a time; return the comments written.

    Each post has a few paragraphs, ``comments_per_post`` comments (a third of them replies) and, to
    reach the size, a postmeta value of the kind page builders store (a long JSON text), which is what
    makes real exports of that size: the import reads it and has no use for it.
    """
    paragraph = " ".join(
        ["the quick brown fox jumps over the lazy dog while seven wise owls watch from an old oak tree"] * 3
    )
    padding = max(0, megabytes * 1024 * 1024 // posts - 12_000)
    blob = ('{"widget":"text","settings":{"html":"' + paragraph + '"}},') * (padding // (len(paragraph) + 40) + 1)
    meta = (
        "<wp:postmeta><wp:meta_key>_builder_data</wp:meta_key>"
        f"<wp:meta_value><![CDATA[[{blob}]]]></wp:meta_value></wp:postmeta>"
    )
    comments = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write(WXR_HEAD.format(doctype="", version="1.2", wp="http://wordpress.org/export/1.2/"))
        for post in range(1, posts + 1):
            thread = []
            for n in range(comments_per_post):
                comments += 1
                parent = comments - 1 if n % 3 == 2 else 0
                thread.append(wxr_comment(comments, f"{paragraph} {post} {n}.", parent=parent))
            body = "\n\n".join(f"<p>{paragraph} ({post}.{n})</p>" for n in range(6))
            out.write(wxr_item(post, f"post-{post}", body, comments=tuple(thread), extra=meta))
        out.write("</channel>\n</rss>\n")
    return comments
