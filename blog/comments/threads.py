"""Comment threads: the tree of an article's approved comments, its depth limit and its pages."""

from dataclasses import dataclass, field


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
