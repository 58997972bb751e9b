"""``flask content publish``: read every article file, render it, and store them all in one transaction.

The steps are plain functions (find the files, prepare them, store them) so that tests can call
them; the command only prints what they return. Nothing is written until every file has been read,
validated and rendered, and then everything is written in one transaction: a bad file, or a publish
killed half-way, leaves the site as it was.
"""

import hashlib
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from blog.core.database import begin_write
from blog.core.extensions import db
from blog.core.models import Article, ArticleKind, ArticleStatus, ArticleTag, utcnow
from blog.publishing import images, markdown
from blog.publishing.files import (
    ContentError,
    ContentErrors,
    FileTooLarge,
    find_files,
    linked_media,
    read_article,
    read_file,
)
from blog.publishing.report import Counts, count, navigation
from blog.publishing.source import Source, load
from blog.publishing.tags import tag_slug
from blog.reading import search
from blog.reading.listing import moved_neighbours, public_sequence
from blog.reading.versions import touch_article


class PublishError(Exception):
    """The run was refused; ``errors`` holds every problem found, as ``path:line: message``."""

    def __init__(self, errors: list[ContentError]):
        super().__init__(f"{len(errors)} problem(s) in the content")
        self.errors = errors


@dataclass
class Entry:
    """One file ready to store: its slug and hash and, unless unchanged, its source and rendering."""

    slug: str
    source_path: str  # relative to the content folder, as stored in Article.source_path
    content_hash: str
    source: Source | None = None  # None: unchanged since the last publish, so not even read
    rendered: markdown.Rendered | None = None

    @property
    def status(self) -> ArticleStatus:
        return ArticleStatus.DRAFT if self.source.metadata["status"] == "draft" else ArticleStatus.PUBLISHED


# Anything in the text that looks like a local image file name. A superset of the images the article
# shows (a name in a code block counts too), found without parsing, so that telling an unchanged file
# costs a read and a hash, not a render; an extra file in the hash only means a re-render when it changes.
_IMAGE_NAME = re.compile(rb"[^\s()\[\]<>\"'`]+\.(?:png|jpe?g|gif|webp|avif|svg)(?![\w.])", re.IGNORECASE)


def referenced_images(path: Path, data: bytes) -> list[Path]:
    """Return the local files the article's text may show as images, in order, without duplicates."""
    files = []
    for match in _IMAGE_NAME.finditer(data):
        name = match.group().decode("utf-8", "replace")
        if "://" in name or name.startswith(("/", "data:")):
            continue
        file = (path.parent / name.split("#")[0].split("?")[0]).resolve()
        if file not in files:
            files.append(file)
    return files


def content_hash(path: Path, data: bytes | None = None) -> str:
    """Hash what the rendered article depends on: the renderer, the file, and the images it shows."""
    data = read_file(path) if data is None else data
    digest = hashlib.sha256(f"renderer {markdown.RENDERER_VERSION}\n".encode())
    digest.update(data)
    for image in referenced_images(path, data):
        digest.update(f"\nimage {image.name}\n".encode())
        # A missing or oversized image hashes differently from any file, so the run that notices renders
        # (and fails there, with the line that shows the image).
        try:
            digest.update(read_file(image, images.MAX_IMAGE_BYTES) if image.is_file() else b"\0missing")
        except FileTooLarge:
            digest.update(b"\0too large")
    return digest.hexdigest()


def is_unchanged(entry: Entry, article: Article | None) -> bool:
    return (
        article is not None
        and article.content_hash == entry.content_hash
        and article.source_path == entry.source_path
        and article.status is entry.status
    )


def _stored_as_is(article: Article | None, digest: str) -> bool:
    """Whether the file is byte for byte what was last published (then its metadata is too)."""
    return article is not None and article.content_hash == digest and article.status is not ArticleStatus.WITHDRAWN


def prepare(content_dir: Path, known: dict[str, Article], *, max_bytes: int, force: bool = False) -> list[Entry]:
    """Read, validate and render every file not already stored as it is.

    :param known: the stored articles by slug, to tell unchanged files from changed ones.
    :param max_bytes: the largest article file read; a larger one is refused unread.
    :raise PublishError: with every problem in every file; nothing should then be stored.
    """
    images_dir = content_dir / "images"
    entries: list[Entry] = []
    errors: list[ContentError] = linked_media(images_dir)
    first_with_slug: dict[str, Path] = {}
    by_path = {article.source_path: article for article in known.values()}
    for path in find_files(content_dir):
        relative = path.relative_to(content_dir).as_posix()
        try:
            data = read_article(path, max_bytes)
            digest = content_hash(path, data)
        except ContentError as e:
            errors.append(e)
            continue
        except OSError as e:  # the file, or an image it shows, went unreadable
            which = "" if not e.filename or Path(e.filename) == path else f"{os.path.relpath(e.filename, path.parent)} "
            errors.append(ContentError(path, None, f"{which}cannot be read: {e.strerror or e}"))
            continue
        stored = by_path.get(relative)
        if not force and _stored_as_is(stored, digest) and stored.slug not in first_with_slug:
            first_with_slug[stored.slug] = path
            entries.append(Entry(stored.slug, relative, digest))
            continue
        source, problems = load(path, data)
        errors.extend(problems)
        if source is None:
            continue
        slug = source.metadata["slug"]
        if slug in first_with_slug:
            errors.append(
                ContentError(
                    path,
                    source.line_of("slug"),
                    f"duplicate slug {slug!r}: {first_with_slug[slug].name} has it already",
                )
            )
            continue
        first_with_slug[slug] = path
        entry = Entry(slug, relative, digest, source)
        if force or not is_unchanged(entry, known.get(slug)):
            try:
                entry.rendered = markdown.render(
                    source.body,
                    path=path,
                    images_dir=images_dir,
                    first_line=source.body_start_line,
                    summary=source.metadata["summary"],
                    write_images=True,
                )
            except ContentErrors as e:
                errors.extend(e.errors)
                continue
            except ContentError as e:
                errors.append(e)
                continue
        entries.append(entry)
    if errors:
        raise PublishError(errors)
    return entries


def store(entries: list[Entry], known: dict[str, Article]) -> Counts:
    """Create or update the articles of ``entries`` and withdraw the rest, in the caller's transaction."""
    counts = Counts()
    sequence = public_sequence()
    touched: list[Article] = []
    created: list[Article] = []
    now = utcnow()
    nav_before = navigation(known.values(), now)
    for entry in entries:
        article = known.get(entry.slug)
        if entry.rendered is None:
            count(counts, article, "unchanged", now)
            continue
        meta = entry.source.metadata
        if article is None:
            article = Article(slug=meta["slug"])
            db.session.add(article)
            created.append(article)
            change = "created"
        else:
            change = "updated"
        rendered = entry.rendered
        article.title = meta["title"]
        article.author = meta["author"]
        article.summary = meta["summary"]
        article.tags = meta["tags"]
        _store_tags(article, meta["tags"])
        article.status = entry.status
        article.comments_open = meta["comments"] == "open"
        # A future date is stored as is: Article.is_public waits for it. A page without a date keeps the
        # moment it was first published (the sitemap's and the feeds' idea of its age).
        article.published_at = meta["date"] or article.published_at or now
        article.kind = ArticleKind(meta["type"])
        article.nav_order = meta["nav"]
        article.source_path = entry.source_path
        article.content_hash = entry.content_hash
        article.html = rendered.html
        article.toc_html = rendered.toc_html
        article.description = rendered.description
        article.image = rendered.image
        touched.append(article)
        count(counts, article, change, now)

    slugs = {entry.slug for entry in entries}
    for slug, article in known.items():
        # Never deleted: readers' comments hang off the article, and the file may come back.
        if slug not in slugs and article.status is not ArticleStatus.WITHDRAWN:
            article.status = ArticleStatus.WITHDRAWN
            counts.withdrawn += 1
            touched.append(article)

    db.session.flush()  # new articles get their ids
    for article in touched:
        search.index(article)  # the search index changes with the article, in this transaction
    stale = {article.id for article in touched}
    every = [*known.values(), *created]
    if navigation(every, now) != nav_before:
        # Every page shows the header navigation: a change to it makes every cached page stale.
        stale |= {article.id for article in every}
    # An article's page links its previous and next: a new, withdrawn or re-dated one changes its neighbours'.
    for article_id in stale | moved_neighbours(sequence, public_sequence()):
        touch_article(article_id)
    return counts


def _store_tags(article: Article, names: list[str]) -> None:
    """Give the article one ArticleTag per tag slug, keeping the rows whose slug stays."""
    wanted = {tag_slug(name): name for name in names}  # the source kept one spelling per slug
    rows = {row.slug: row for row in article.tag_rows}
    article.tag_rows = [rows.get(slug) or ArticleTag(slug=slug, name=name) for slug, name in wanted.items()]
    for row in article.tag_rows:
        row.name = wanted[row.slug]


def publish(content_dir, *, force: bool = False, then: Callable[[], None] | None = None) -> Counts:
    """Publish every article under ``content_dir`` in one transaction, or nothing at all.

    Files are read, rendered and their images resized before the write lock is taken, so readers
    posting comments meanwhile are not kept waiting; under the lock, what is stored is read again and,
    should another publish have changed it in between, every file is judged again against that.

    :param then: more writes for the same transaction, made after the articles are stored (an import's
        comments); if it raises, nothing is stored.
    :raise PublishError: when any file has a problem; the database is left as it was.
    """
    content_dir = Path(content_dir)
    if not content_dir.is_dir():
        # Publishing an empty or mistyped folder would withdraw every article.
        raise PublishError([ContentError(content_dir, None, "no such content folder (check CONTENT_DIR)")])
    max_bytes = current_app.config["MAX_ARTICLE_BYTES"]
    known = _stored()
    seen = _state(known)
    entries = prepare(content_dir, known, max_bytes=max_bytes, force=force)
    begin_write()
    try:
        known = _stored()
        if _state(known) != seen:  # another publish stored something since: decide again against it
            entries = prepare(content_dir, known, max_bytes=max_bytes, force=force)
        counts = store(entries, known)
        if then is not None:
            then()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return counts


def _stored() -> dict[str, Article]:
    """Read the stored articles by slug, as they are now (not as the session last loaded them)."""
    query = sa.select(Article).execution_options(populate_existing=True)
    return {article.slug: article for article in db.session.scalars(query)}


def _state(known: dict[str, Article]) -> dict[str, tuple]:
    """What prepare's decisions depend on, per stored article."""
    return {slug: (a.content_hash, a.status, a.source_path) for slug, a in known.items()}


content_cli = AppGroup("content", help="Publish the Markdown articles of the content folder.")


@content_cli.command("publish")
@click.option("--force", is_flag=True, help="Re-render every article, even those whose files are unchanged.")
def publish_command(force: bool) -> None:
    """Render and store every article in CONTENT_DIR, or nothing if any file has a problem."""
    try:
        counts = publish(current_app.config["CONTENT_DIR"], force=force)
    except PublishError as e:
        for error in e.errors:
            click.echo(str(error), err=True)
        click.echo(f"Nothing was published: fix the {len(e.errors)} problem(s) above and run it again.", err=True)
        sys.exit(1)
    click.echo(str(counts))


def init_app(app) -> None:
    app.cli.add_command(content_cli)
