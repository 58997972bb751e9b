"""Comment threads: the tree of an article's approved comments, its depth limit, its pages and their URLs.

The one owner of "approved comments of an article" and of which comment page shows a comment: the
article page, the redirect after a post and the comments feed all ask here.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import load_only

from blog.core.extensions import db
from blog.core.models import Comment, CommentKind, CommentStatus

_comments = Comment.__table__


def approved_of(article_id) -> sa.ColumnElement[bool]:
    """Return the condition "an approved comment of this article" (a value or a bind parameter)."""
    return sa.and_(Comment.article_id == article_id, Comment.status == CommentStatus.APPROVED)


def in_threads() -> sa.ColumnElement[bool]:
    """Return the condition "a comment, not a ping": pings (imported from WordPress) are listed apart."""
    return Comment.kind == CommentKind.COMMENT


def approved_comments(article_id: int) -> list[Comment]:
    """Return the article's approved comments and pings, oldest first: the one query of the comments section."""
    return db.session.scalars(
        sa.select(Comment)
        .options(
            load_only(
                Comment.id,
                Comment.article_id,
                Comment.parent_id,
                Comment.author_name,
                Comment.author_url,
                Comment.html,
                Comment.status,
                Comment.created_at,
                Comment.moderator_id,
                Comment.kind,
                Comment.by_post_author,
            )
        )
        .where(approved_of(article_id))
        .order_by(Comment.created_at, Comment.id)
    ).all()


def page_url(slug: str, page: int, *, external: bool = False) -> str:
    """Return the URL of a comment page of an article (its first page is the article itself)."""
    if page > 1:
        return url_for("pages.comment_page", slug=slug, n=page, _external=external)
    return url_for("pages.article", slug=slug, _external=external)


@dataclass(eq=False)
class Node:
    """One comment as the page shows it, with the replies shown under it."""

    comment: object
    depth: int = 1
    pending: bool = False
    children: list["Node"] = field(default_factory=list)
    replies: list["Node"] = field(default_factory=list)  # the real replies, before the depth limit

    @property
    def id(self) -> int:
        return self.comment.id


def build(comments, max_depth: int) -> list[list[Node]]:
    """Return the top-level threads of these comments, oldest first, nested at most ``max_depth`` deep.

    ``comments`` come oldest first. A reply whose parent is not among them (not approved, or deleted) is
    shown as a thread of its own, as WordPress does. Below ``max_depth`` a reply is shown at that depth,
    right after the comment it answers (WordPress's Walker_Comment), so nesting never goes deeper.
    Each thread is a list of the nodes shown at the top level for it: one, unless ``max_depth`` is 1.
    """
    max_depth = max(1, int(max_depth))
    nodes = {c.id: Node(c) for c in comments}
    roots = []
    for node in nodes.values():
        parent = nodes.get(node.comment.parent_id)
        if parent is None or parent is node:
            roots.append(node)
        else:
            parent.replies.append(node)

    def place(node: Node, depth: int, seen: set) -> list[Node]:
        seen.add(node.id)
        node.depth = depth
        replies = [r for r in node.replies if r.id not in seen]  # a cycle in bad data must not hang us
        if depth < max_depth:
            node.children = [shown for reply in replies for shown in place(reply, depth + 1, seen)]
            return [node]
        node.children = []
        return [node] + [shown for reply in replies for shown in place(reply, depth, seen)]

    seen: set = set()
    return [place(root, 1, seen) for root in roots]


def page_count(threads: list, per_page: int) -> int:
    return max(1, -(-len(threads) // max(1, per_page)))


def page_of(threads: list[list[Node]], comment_id: int, per_page: int) -> int | None:
    """Return the comment page (1-based) that shows this comment, or None if none does."""
    for index, thread in enumerate(threads):
        if any(_contains(node, comment_id) for node in thread):
            return index // max(1, per_page) + 1
    return None


def comment_pages(article_id: int, per_page: int) -> dict[int, int]:
    """Map each approved comment of an article to the comment page that shows it (for the feed)."""
    rows = db.session.execute(
        sa.select(Comment.id, Comment.parent_id)
        .where(approved_of(article_id), in_threads())
        .order_by(Comment.created_at, Comment.id)
    ).all()
    # The nesting depth does not move a comment to another thread, so any depth pages them alike.
    pages = {}
    for index, thread in enumerate(build(rows, 1)):
        for node in thread:
            pages[node.id] = index // max(1, per_page) + 1
    return pages


def _contains(node: Node, comment_id: int) -> bool:
    return node.id == comment_id or any(_contains(child, comment_id) for child in node.children)


def find(nodes: list[Node], comment_id: int) -> Node | None:
    """Return the node of this comment among these nodes and their children."""
    for node in nodes:
        if node.id == comment_id:
            return node
        found = find(node.children, comment_id)
        if found is not None:
            return found
    return None


def place_pending(shown: list[Node], comment, max_depth: int) -> None:
    """Put the author's own pending comment where it will appear once approved, or at the end.

    ``shown`` is the page's list of top-level nodes; it is changed in place.
    """
    node = Node(comment, pending=True)
    parent = find(shown, comment.parent_id) if comment.parent_id else None
    if parent is None:
        node.depth = 1
        shown.append(node)
    elif parent.depth < max_depth:
        node.depth = parent.depth + 1
        parent.children.append(node)
    else:
        # At the depth limit it goes after its parent's flattened replies, at the parent's depth.
        node.depth = parent.depth
        siblings = _siblings_of(shown, parent) or shown
        siblings.insert(_after_flattened(siblings, parent), node)


def _siblings_of(nodes: list[Node], target: Node) -> list[Node] | None:
    if target in nodes:
        return nodes
    for node in nodes:
        found = _siblings_of(node.children, target)
        if found is not None:
            return found
    return None


def _after_flattened(siblings: list[Node], parent: Node) -> int:
    # The flattened replies of `parent` follow it directly; the new one goes after the last of them.
    index = siblings.index(parent) + 1
    ancestors = {parent.id}
    while index < len(siblings) and siblings[index].comment.parent_id in ancestors:
        ancestors.add(siblings[index].id)
        index += 1
    return index


def _thread_statements():
    c, approved, comment = _comments.c, CommentStatus.APPROVED, CommentKind.COMMENT
    # The comment and its ancestors among the approved comments of its article, up to its thread's
    # first comment: the one whose parent is not among them (build shows such a reply as a thread of
    # its own). UNION, not UNION ALL, so that a cycle in bad data ends.
    ancestor = _comments.alias("ancestor")
    up = (
        sa.select(c.id, c.parent_id, c.created_at)
        .where(
            c.id == sa.bindparam("id"),
            c.article_id == sa.bindparam("article_id"),
            c.status == approved,
            c.kind == comment,
        )
        .cte("up", recursive=True)
    )
    up = up.union(
        sa.select(ancestor.c.id, ancestor.c.parent_id, ancestor.c.created_at)
        .join(up, ancestor.c.id == up.c.parent_id)
        .where(
            ancestor.c.article_id == sa.bindparam("article_id"),
            ancestor.c.status == approved,
            ancestor.c.kind == comment,
        )
    )
    root = sa.select(up.c.id, up.c.created_at).where(
        sa.or_(up.c.parent_id.is_(None), up.c.parent_id == up.c.id, up.c.parent_id.not_in(sa.select(up.c.id)))
    )
    # How many threads start at or before that one: threads are ordered as approved_comments reads them.
    parent = _comments.alias("parent")
    starts_thread = sa.or_(
        c.parent_id.is_(None),
        c.parent_id == c.id,
        ~sa.exists().where(
            parent.c.id == c.parent_id,
            parent.c.article_id == c.article_id,
            parent.c.status == approved,
            parent.c.kind == comment,
        ),
    )
    position = sa.select(sa.func.count()).where(
        c.article_id == sa.bindparam("article_id"),
        c.status == approved,
        c.kind == comment,
        sa.or_(
            c.created_at < sa.bindparam("created_at"),
            sa.and_(c.created_at == sa.bindparam("created_at"), c.id <= sa.bindparam("id")),
        ),
        starts_thread,
    )
    return root, position


_THREAD_ROOT, _THREAD_POSITION = _thread_statements()


def thread_page(connection, article_id: int, comment_id: int, per_page: int) -> int | None:
    """Return the comment page that shows this approved comment: page_of's answer, from the indexes.

    Two queries, without reading the comments into Python as page_of must (the post path's fast path).
    """
    root = connection.execute(_THREAD_ROOT, {"id": comment_id, "article_id": article_id}).first()
    if root is None:  # not approved (any more), or in a cycle of replies that no page shows
        return None
    root_id, root_created = root
    position = connection.execute(
        _THREAD_POSITION, {"article_id": article_id, "created_at": root_created, "id": root_id}
    ).scalar()
    if not position:
        return None
    return (position - 1) // max(1, per_page) + 1
