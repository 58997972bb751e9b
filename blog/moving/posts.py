"""A WordPress post or page becomes a Markdown file: its slug, its front matter, its images found
under ``--media-dir``, and its file placed in the content folder with a way to take it back out."""

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import yaml

from blog.moving import convert, wxr
from blog.moving.report import Report
from blog.publishing.source import FIELDS, RESERVED_SLUGS, YEAR_RE
from blog.publishing.tags import tag_slug

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")
STATUSES = {"publish": "published", "future": "published", "draft": "draft", "pending": "draft", "private": "draft"}
_SUMMARY_MAX = 500
_TITLE_MAX = 300


@dataclass
class Planned:
    """One post or page: where its file goes, what it holds, and what the run does with it."""

    item_id: int
    slug: str
    path: str  # relative to the content folder
    sha256: str  # of the file's bytes as the import writes them
    action: str  # created, updated, unchanged, skipped


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def slug_of(item: wxr.Item, taken: set[str]) -> str:
    """Return the post's slug: WordPress's own when our rules allow it, else one made from its title."""
    for candidate in (unquote(item.name), convert.plain(item.title), f"post-{item.id}"):
        slug = tag_slug(candidate)[:190].strip("-")
        if slug:
            break
    if slug in RESERVED_SLUGS or YEAR_RE.fullmatch(slug) or slug in taken:
        slug = f"{slug}-{item.id}"
    taken.add(slug)
    return slug


class Media:
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


def front_matter(item: wxr.Item, site: wxr.Site, summary: str, report: Report) -> dict:
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


def file_bytes(meta: dict, body: str) -> bytes:
    header = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=10_000)
    return f"---\n{header}---\n\n{body}".encode()


def same_file(destination: Path, source: Path) -> bool:
    return destination.is_file() and destination.read_bytes() == source.read_bytes()


def place(planned: list[Planned], staging: Path, content_dir: Path, copies: dict[Path, Path]):
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
