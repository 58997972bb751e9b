"""The seeding of `make bench`'s moderation queue run (scripts/bench_queue.py): the bench itself is run by hand."""

from blog.core.extensions import db
from blog.moderation import counts, queue
from scripts import bench_queue


def test_the_seeded_comments_are_counted_found_and_paged_like_any_others(app_config):
    # The seeding makes the schema itself, on the run's database (a PostgreSQL schema, or a SQLite file).
    app = bench_queue.create_app(app_config)
    try:
        bench_queue.seed(app, 300)
        with app.app_context():
            tabs = counts.by_status(db.session.connection())
            assert sum(tabs[s] for s in ("pending", "approved", "spam", "trash")) == 300
            assert tabs["approved"] > tabs["pending"] > 0
            first = queue.page("all", "", "date")
            assert len(first.items) == queue.PER_PAGE and first.older is not None
            assert queue.page("all", "", "date", after=first.older).items[0].created_at <= first.items[-1].created_at
            assert queue.page("all", bench_queue.VOCABULARY[0]).items  # the commonest word is in some comment
            email = queue.page("all", "reader1@example.org").items + queue.page("all", "reader2@example.org").items
            assert all(c.author_email in ("reader1@example.org", "reader2@example.org") for c in email)
    finally:
        with app.app_context():
            db.session.remove()
            if db.engine.dialect.name == "postgresql":
                db.drop_all()
            db.engine.dispose()
