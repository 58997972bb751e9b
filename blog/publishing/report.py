"""What a publish run did, as the blogger reads it, and what of it the header navigation shows."""

from dataclasses import dataclass
from datetime import datetime

from blog.core.models import Article, ArticleStatus


@dataclass
class Counts:
    """What a run did, each file counted once: a draft or a scheduled file is counted as such, whether
    it is new, changed or not, since readers see none of them yet."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    draft: int = 0
    scheduled: int = 0
    withdrawn: int = 0

    def __str__(self) -> str:
        return ", ".join(f"{name} {value}" for name, value in vars(self).items())


def count(counts: Counts, article: Article, change: str, now: datetime) -> None:
    """Count one stored file as a draft, as scheduled, or else by what the run did to it."""
    if article.status is ArticleStatus.DRAFT:
        change = "draft"
    elif article.published_at > now:
        change = "scheduled"
    setattr(counts, change, getattr(counts, change) + 1)


def navigation(articles, now: datetime) -> list[tuple[int, str, str]]:
    """Return what the header navigation shows of these articles (``Article.in_navigation``)."""
    return sorted((a.nav_order, a.title, a.slug) for a in articles if a.in_navigation(now))
