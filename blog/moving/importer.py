"""``flask import wxr FILE``: a WordPress site's posts, pages, images and comments move in.

Three reads of the file, each incremental (blog/moving/wxr.py): the attachments (what a gallery
shows), then the posts and pages (each becomes a Markdown file, written first to a staging folder),
then, inside the publish transaction, the comments. Nothing is written before the whole file has
been read once, so a malformed file changes nothing; the files go into the content folder just
before publishing and are taken out again if publishing or the comments fail, so a run happens
entirely or not at all.

A second run of the same file changes nothing: a file identical to what the import would write is
unchanged, a comment already imported (its WordPress id on that article) is left as it is. A file the
blogger edited since the import wrote it (blog/core/models.py ImportedFile) is never overwritten
without ``--force``.
"""

import tempfile
from collections import defaultdict
from pathlib import Path
from urllib.parse import unquote, urlsplit

import sqlalchemy as sa

from blog.core import sanitize
from blog.core.extensions import db
from blog.core.models import Article, Comment, CommentKind, CommentStatus, ModerationEvent, utcnow
from blog.core.records import ImportedFile, Redirect
from blog.moving import convert, posts, wxr
from blog.moving.report import Report
from blog.publishing.publish import publish

IMPORTER = "WordPress import"  # the name the admin's history gives the import
COMMENT_STATUSES = {
    "1": CommentStatus.APPROVED,
    "0": CommentStatus.PENDING,
    "spam": CommentStatus.SPAM,
    "trash": CommentStatus.TRASH,
    "post-trashed": CommentStatus.TRASH,
}
COMMENT_KINDS = {"": CommentKind.COMMENT, "comment": CommentKind.COMMENT}
PING_KINDS = {"pingback": CommentKind.PINGBACK, "trackback": CommentKind.TRACKBACK}
# The lengths of the Comment columns an imported value is cut to.
LIMITS = {"author_name": 245, "author_email": 100, "author_url": 200, "author_ip": 45, "user_agent": 255}


class Importer:
    def __init__(self, path: Path, content_dir: Path, media_dir: Path | None, *, force: bool, pings: bool):
        self.path = Path(path)
        self.content_dir = Path(content_dir)
        self.media_dir = Path(media_dir) if media_dir else None
        self.force = force
        self.pings = pings
        self.report = Report()
        self.site = wxr.Site()
        self.slugs: dict[int, str] = {}  # WordPress post id → our slug, for the comments
        self.authors: dict[int, int] = {}  # WordPress post id → its author's user id
        self.redirects: dict[str, str] = {}

    # -- first read: the attachments, and the whole file checked --

    def _attachments(self) -> dict[int, list[tuple[int, convert.Image]]]:
        by_id: dict[int, convert.Image] = {}
        by_parent: dict[int, list[tuple[int, convert.Image]]] = defaultdict(list)
        for item in wxr.read(self.path, self.site):
            if item.type == "attachment" and item.attachment_url:
                image = convert.Image(
                    item.attachment_url,
                    convert.plain(item.meta.get("_wp_attachment_image_alt", "")),
                    convert.plain(item.excerpt),
                )
                by_id[item.id] = image
                by_parent[item.parent].append((item.menu_order, image))
        self.attachment = by_id
        return by_parent

    # -- second read: the posts and pages, as files --

    def plan(self, staging: Path, media: posts.Media) -> list[posts.Planned]:
        by_parent = self._attachments()
        media.base_url = self.site.base_url.rstrip("/")
        stored = {row.path: row.sha256 for row in db.session.scalars(sa.select(ImportedFile))}
        taken: set[str] = set()
        planned = []
        for item in wxr.read(self.path):
            if item.type not in ("post", "page"):
                continue
            kind = "posts" if item.type == "post" else "pages"
            if item.status not in posts.STATUSES:
                self.report.add(kind, "skipped")
                self.report.notes.append(f"{item.type} {item.id} skipped: its status is {item.status or 'none'!r}")
                continue
            slug = posts.slug_of(item, taken)
            self.slugs[item.id] = slug
            self.authors[item.id] = self.site.author_ids.get(item.creator, 0)

            def gallery(attrs, item=item):
                ids = [int(i) for i in attrs.get("ids", attrs.get("include", "")).split(",") if i.strip().isdigit()]
                if ids:
                    return [self.attachment[i] for i in ids if i in self.attachment]
                return [image for _, image in sorted(by_parent.get(item.id, []), key=lambda pair: pair[0])]

            converted = convert.convert(item.content, item.excerpt, image_url=media.url, gallery=gallery)
            for name in converted.shortcodes:
                self.report.notes.append(f"shortcode [{name}] kept as text in '{convert.plain(item.title)}' ({slug})")
            data = posts.file_bytes(
                posts.front_matter(item, self.site, converted.summary, self.report), converted.markdown
            )
            relative = f"{slug}.md"
            action = self._decide(self.content_dir / relative, data, stored.get(relative))
            self.report.add(kind, action)
            if action in ("created", "updated"):
                (staging / relative).write_bytes(data)
            planned.append(posts.Planned(item.id, slug, relative, posts.sha(data), action))
            if action == "skipped" and relative not in stored:
                del self.slugs[item.id]  # the file there is another article: its comments are not this post's
                continue
            self._old_addresses(item, slug)
        return planned

    def _decide(self, target: Path, data: bytes, written_sha: str | None) -> str:
        if not target.exists():
            return "created"
        current = target.read_bytes()
        if current == data:
            return "unchanged"
        if self.force or (written_sha is not None and posts.sha(current) == written_sha):
            return "updated"
        why = "edited since the last import" if written_sha else "not written by an import"
        self.report.notes.append(f"{target.name} skipped: {why}; --force overwrites it")
        return "skipped"

    def _old_addresses(self, item: wxr.Item, slug: str) -> None:
        new = f"/{slug}/"
        paths = [f"/?p={item.id}"] + ([f"/?page_id={item.id}"] if item.type == "page" else [])
        base = urlsplit(self.site.base_url).path.rstrip("/")
        link = urlsplit(item.link)
        if link.path and not link.query:
            path = unquote(link.path)
            path = path[len(base) :] if base and path.startswith(base + "/") else path
            paths.append(path if path.endswith("/") else path + "/")
        if item.name:
            name = unquote(item.name)
            paths.append(f"/{name}/")
            if item.date_gmt is not None:
                paths.append(f"/{item.date_gmt:%Y/%m/%d}/{name}/")
        for path in paths:
            if path != new and len(path) <= 500:
                self.redirects.setdefault(path, slug)

    # -- in the publish transaction: old addresses, the files' record, the comments --

    def store(self, planned: list[posts.Planned], *, dry_run: bool = False) -> None:
        existing = dict(db.session.execute(sa.select(Redirect.path, Redirect.slug)).all())
        for path, slug in self.redirects.items():
            if existing.get(path) == slug:
                self.report.add("old addresses", "unchanged")
                continue
            self.report.add("old addresses", "created")
            if not dry_run:
                db.session.merge(Redirect(path=path, slug=slug))
        if not dry_run:
            now = utcnow()
            for plan in planned:
                if plan.action in ("created", "updated"):
                    db.session.merge(ImportedFile(path=plan.path, sha256=plan.sha256, imported_at=now))
        self._comments(dry_run=dry_run)

    def _comments(self, *, dry_run: bool) -> None:
        articles = dict(db.session.execute(sa.select(Article.slug, Article.id)).all())
        now = utcnow()
        for item in wxr.read(self.path):
            slug = self.slugs.get(item.id) if item.type in ("post", "page") else None
            if slug is None or not item.comments:
                continue
            article_id = articles.get(slug)
            known = (
                dict(
                    db.session.execute(
                        sa.select(Comment.wordpress_id, Comment.id).where(
                            Comment.article_id == article_id, Comment.wordpress_id.is_not(None)
                        )
                    ).all()
                )
                if article_id is not None
                else {}
            )
            made: dict[int, Comment | int] = dict(known)
            for wp in _parents_first(item.comments):
                kind = COMMENT_KINDS.get(wp.type) or PING_KINDS.get(wp.type)
                counted = "pings" if wp.type in PING_KINDS else "comments"
                if kind is None or (counted == "pings" and not self.pings) or wp.approved not in COMMENT_STATUSES:
                    self.report.add(counted, "skipped")
                    if kind is None:
                        self.report.notes.append(f"comment {wp.id} skipped: its type is {wp.type!r}")
                    continue
                if wp.id in known:
                    self.report.add(counted, "unchanged")
                    continue
                self.report.add(counted, "created")
                if dry_run or article_id is None:
                    continue
                made[wp.id] = self._comment(wp, item, article_id, kind, made.get(wp.parent), now)
            if not dry_run:
                db.session.flush()

    def _comment(self, wp: wxr.WPComment, item: wxr.Item, article_id: int, kind, parent, now) -> Comment:
        status = COMMENT_STATUSES[wp.approved]
        raw = sanitize.normalise_text(wp.content)
        created = wp.date_gmt or item.date_gmt or now
        comment = Comment(
            article_id=article_id,
            # WordPress keeps a commenter's name as HTML ("Tom &amp; Jerry"), as it does titles.
            author_name=sanitize.one_line(convert.plain(wp.author))[: LIMITS["author_name"]] or "Anonymous",
            author_email=wp.email[: LIMITS["author_email"]] if len(wp.email) <= LIMITS["author_email"] else "",
            author_url=wp.url[: LIMITS["author_url"]],
            author_ip=wp.ip[: LIMITS["author_ip"]],
            user_agent=wp.agent[: LIMITS["user_agent"]],
            raw_text=raw,
            html=sanitize.clean_comment(raw),
            status=status,
            reasons=["pending on WordPress"] if status is CommentStatus.PENDING else [],
            created_at=created,
            approved_at=created if status is CommentStatus.APPROVED else None,
            kind=kind,
            by_post_author=bool(wp.user_id) and wp.user_id == self.authors.get(item.id),
            wordpress_id=wp.id or None,  # an id WordPress did not give cannot be recognised again
        )
        if isinstance(parent, Comment):
            comment.parent = parent
        elif isinstance(parent, int):
            comment.parent_id = parent
        db.session.add(comment)
        db.session.add(
            ModerationEvent(
                comment=comment,
                moderator_name=IMPORTER,
                action="imported",
                to_status=status.value,
                detail=f"from {self.path.name[:200]}, WordPress comment {wp.id}",
                created_at=now,
            )
        )
        return comment


def _parents_first(comments: list[wxr.WPComment]) -> list[wxr.WPComment]:
    """Return the comments so that each comes after the one it answers (any depth; a cycle is broken)."""
    by_id = {c.id: c for c in comments}
    done: set[int] = set()
    ordered = []
    for comment in comments:
        chain = []
        while comment is not None and comment.id not in done and comment not in chain:
            chain.append(comment)
            comment = by_id.get(comment.parent)
        for c in reversed(chain):
            done.add(c.id)
            ordered.append(c)
    return ordered


def run(
    path,
    content_dir,
    media_dir=None,
    *,
    dry_run: bool = False,
    force: bool = False,
    pings: bool = True,
) -> Report:
    """Import the WXR file into the content folder and the database, all or nothing; return the report.

    :raise wxr.WXRError: for a file that cannot be read as WXR (nothing is written).
    :raise blog.publishing.publish.PublishError: when the written files do not publish (they are removed).
    """
    content_dir = Path(content_dir)
    importer = Importer(path, content_dir, media_dir, force=force, pings=pings)
    media = posts.Media(importer.media_dir, content_dir / "images", importer.report)
    with tempfile.TemporaryDirectory(prefix="wxr-import-") as staging:
        planned = importer.plan(Path(staging), media)
        copies = {dest: src for dest, src in media.copies.items() if not posts.same_file(dest, src)}
        importer.report.add("images", "copied", len(copies))
        importer.report.add("images", "unchanged", len(media.copies) - len(copies))
        if dry_run:
            importer.store(planned, dry_run=True)
            db.session.rollback()
            return importer.report
        content_dir.mkdir(parents=True, exist_ok=True)
        undo = posts.place(planned, Path(staging), content_dir, copies)
        try:
            counts = publish(content_dir, then=lambda: importer.store(planned))
        except BaseException:
            undo()
            raise
    importer.report.published = str(counts)
    return importer.report
