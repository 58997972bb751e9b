"""What an import run did, per type, and everything it could not carry: printed by the command."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field


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
