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

import hashlib
import shutil
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import sqlalchemy as sa
import yaml

from blog.core import sanitize
from blog.core.extensions import db
from blog.core.models import (
    Article,
    Comment,
    CommentKind,
    CommentStatus,
    ImportedFile,
    ModerationEvent,
    Redirect,
    utcnow,
)
from blog.moving import convert, wxr
from blog.publishing.publish import publish
from blog.publishing.source import FIELDS, RESERVED_SLUGS, YEAR_RE, tag_slug

IMPORTER = "WordPress import"  # the name the admin's history gives the import
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")
STATUSES = {"publish": "published", "future": "published", "draft": "draft", "pending": "draft", "private": "draft"}
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
_SUMMARY_MAX = 500
_TITLE_MAX = 300


@dataclass
class Report:
    """What a run did, per type, and everything it could not carry."""

    counts: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    notes: list[str] = field(default_factory=list)
    published: str = ""

    ORDER = {
        "posts": ("created", "updated", "unchanged", "skipped"),
        "pages": ("created", "updated", "unchanged", "skipped"),
        "comments": ("created", "unchanged", "skipped"),
        "pings": ("created", "unchanged", "skipped"),
        "images": ("copied", "unchanged", "missing"),
        "old addresses": ("created", "unchanged"),
    }

    def add(self, kind: str, what: str, n: int = 1) -> None:
        self.counts[kind][what] += n

    def lines(self) -> list[str]:
        out = [
            f"{kind}: " + ", ".join(f"{self.counts[kind][what]} {what}" for what in whats)
            for kind, whats in self.ORDER.items()
        ]
        if self.published:
            out.append(f"published: {self.published}")
        return out + self.notes


@dataclass
class Planned:
    """One post or page: where its file goes, what it holds, and what the run does with it."""

    item_id: int
    slug: str
    path: str  # relative to the content folder
    sha256: str  # of the file's bytes as the import writes them
    action: str  # created, updated, unchanged, skipped


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _slug(item: wxr.Item, taken: set[str]) -> str:
    """Return the post's slug: WordPress's own when our rules allow it, else one made from its title."""
    for candidate in (unquote(item.name), convert.plain(item.title), f"post-{item.id}"):
        slug = tag_slug(candidate)[:190].strip("-")
        if slug:
            break
    if slug in RESERVED_SLUGS or YEAR_RE.fullmatch(slug) or slug in taken:
        slug = f"{slug}-{item.id}"
    taken.add(slug)
    return slug


class _Media:
    """Images of the posts: copied from ``--media-dir`` beside the articles' images, or reported missing."""

    def __init__(self, media_dir: Path | None, images_dir: Path, report: Report):
        self.media_dir = media_dir
        self.images_dir = images_dir
        self.report = report
        self.copies: dict[Path, Path] = {}  # destination → source
        self.seen: dict[str, str] = {}
        self.base_url = ""  # the old site's address, for images given relative to it

    @staticmethod
    def relative(url: str) -> str | None:
        """Return an upload's path below ``uploads/`` (``2013/03/x.jpg``), or None for another address."""
        path = unquote(urlsplit(url).path)
        if "/wp-content/uploads/" in path:
            path = path.split("/wp-content/uploads/", 1)[1]
            parts = path.split("/")
            if len(parts) > 2 and parts[0] == "sites" and parts[1].isdigit():  # a multisite's uploads
                path = "/".join(parts[2:])
        elif urlsplit(url).netloc.endswith(".files.wordpress.com") or path.startswith("/media/"):
            path = path.split("/media/", 1)[1] if path.startswith("/media/") else path.lstrip("/")
        else:
            return None
        parts = [p for p in path.split("/") if p not in ("", ".", "..")]
        return "/".join(parts) if parts and path.lower().endswith(IMAGE_SUFFIXES) else None

    def url(self, url: str) -> str:
        """Return the address the Markdown gives this image: ``images/…`` when its file was found."""
        if url in self.seen:
            return self.seen[url]
        relative = self.relative(url)
        found = None
        if relative and self.media_dir is not None:
            found = next(
                (f for f in (self.media_dir / relative, self.media_dir / Path(relative).name) if f.is_file()), None
            )
        if found is None:
            # An address relative to the old site stays pointing there: relative, it would name a
            # file in our content folder, which publishing would look for and refuse.
            self.seen[url] = urljoin(self.base_url + "/", url) if self.base_url else url
            if not urlsplit(self.seen[url]).scheme:
                self.seen[url] = ""
            if relative or url.lower().split("?")[0].endswith(IMAGE_SUFFIXES):
                self.report.add("images", "missing")
                self.report.notes.append(f"missing image (kept as a link with its alt text and caption): {url}")
            return self.seen[url]
        destination = self.images_dir / relative
        self.copies[destination] = found
        self.seen[url] = f"images/{relative}"
        return self.seen[url]


def _front_matter(item: wxr.Item, site: wxr.Site, summary: str, report: Report) -> dict:
    kind = "page" if item.type == "page" else "article"
    meta: dict = {"title": convert.plain(item.title)[:_TITLE_MAX] or "(no title)", "type": kind}
    if item.date_gmt is not None:
        meta["date"] = item.date_gmt.strftime("%Y-%m-%dT%H:%M:%SZ")
    elif kind == "article":
        meta["date"] = "1970-01-01T00:00:00Z"
        report.notes.append(f"post {item.id} has no date; 1970-01-01 was given")
    author = site.authors.get(item.creator, item.creator)
    if author:
        meta["author"] = convert.plain(author)[:200]
    if summary:
        meta["summary"] = summary[:_SUMMARY_MAX]
    if kind == "article":
        tags, slugs = [], set()
        for domain, nicename, name in item.categories:
            if domain not in ("category", "post_tag") or nicename == "uncategorized":
                continue
            name = convert.plain(name)[:100]
            if not tag_slug(name):
                name = unquote(nicename)[:100]  # a name of no Latin letters: its slug names it
            if tag_slug(name) and tag_slug(name) not in slugs:
                slugs.add(tag_slug(name))
                tags.append(name)
        if tags:
            meta["tags"] = tags
    status = STATUSES[item.status]
    if item.password:
        status = "draft"
        report.notes.append(f"'{meta['title']}' is password-protected on WordPress: imported as a draft")
    meta["status"] = status
    meta["comments"] = "open" if item.comment_status == "open" else "closed"
    assert set(meta) <= set(FIELDS)
    return meta


def _file_bytes(meta: dict, body: str) -> bytes:
    header = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=10_000)
    return f"---\n{header}---\n\n{body}".encode()


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

    def plan(self, staging: Path, media: _Media) -> list[Planned]:
        by_parent = self._attachments()
        media.base_url = self.site.base_url.rstrip("/")
        stored = {row.path: row.sha256 for row in db.session.scalars(sa.select(ImportedFile))}
        taken: set[str] = set()
        planned = []
        for item in wxr.read(self.path):
            if item.type not in ("post", "page"):
                continue
            kind = "posts" if item.type == "post" else "pages"
            if item.status not in STATUSES:
                self.report.add(kind, "skipped")
                self.report.notes.append(f"{item.type} {item.id} skipped: its status is {item.status or 'none'!r}")
                continue
            slug = _slug(item, taken)
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
            data = _file_bytes(_front_matter(item, self.site, converted.summary, self.report), converted.markdown)
            relative = f"{slug}.md"
            action = self._decide(self.content_dir / relative, data, stored.get(relative))
            self.report.add(kind, action)
            if action in ("created", "updated"):
                (staging / relative).write_bytes(data)
            planned.append(Planned(item.id, slug, relative, _sha(data), action))
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
        if self.force or (written_sha is not None and _sha(current) == written_sha):
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

    def store(self, planned: list[Planned], *, dry_run: bool = False) -> None:
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
            author_name=sanitize.one_line(wp.author)[: LIMITS["author_name"]] or "Anonymous",
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
    media = _Media(importer.media_dir, content_dir / "images", importer.report)
    with tempfile.TemporaryDirectory(prefix="wxr-import-") as staging:
        planned = importer.plan(Path(staging), media)
        copies = {dest: src for dest, src in media.copies.items() if not _same_file(dest, src)}
        importer.report.add("images", "copied", len(copies))
        importer.report.add("images", "unchanged", len(media.copies) - len(copies))
        if dry_run:
            importer.store(planned, dry_run=True)
            db.session.rollback()
            return importer.report
        content_dir.mkdir(parents=True, exist_ok=True)
        undo = _place(planned, Path(staging), content_dir, copies)
        try:
            counts = publish(content_dir, then=lambda: importer.store(planned))
        except BaseException:
            undo()
            raise
    importer.report.published = str(counts)
    return importer.report


def _same_file(destination: Path, source: Path) -> bool:
    return destination.is_file() and destination.read_bytes() == source.read_bytes()


def _place(planned: list[Planned], staging: Path, content_dir: Path, copies: dict[Path, Path]):
    """Move the staged files and copy the images into the content folder; return what puts it back."""
    before: dict[Path, bytes | None] = {}
    for plan in planned:
        if plan.action in ("created", "updated"):
            target = content_dir / plan.path
            before[target] = target.read_bytes() if target.exists() else None
            shutil.move(staging / plan.path, target)
    for destination, source in copies.items():
        before[destination] = destination.read_bytes() if destination.exists() else None
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)

    def undo() -> None:
        for target, data in before.items():
            if data is None:
                target.unlink(missing_ok=True)
            else:
                target.write_bytes(data)

    return undo
