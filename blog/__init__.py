"""A Flask blog that publishes Markdown articles and takes WordPress-style moderated comments.

Two flows, one sub-package each, over a small core:

- publishing: content/*.md → front matter and Markdown → Article rows with pre-rendered HTML;
- reading: those rows → the pages, feeds and media a reader gets, through the page cache;
- comments: the Leave a Reply form → cleaning → the moderation rules → a stored Comment;
- moderation: moderators sign in and decide, and are told of held comments;
- moving: a WordPress export (WXR) in, as articles and comments, and the site out as one;
- spam: the spam filter that scores each new comment and learns from the moderators' decisions;
- core: settings, the database and models, errors, security headers, compression and the static files,
  the sanitizer, backups.
"""

from flask import Flask

from blog.core import settings


def create_app(test_config=None):
    """Create and configure the blog.

    The commands that need what no request does (publishing's Markdown, Pygments and Pillow, the
    WordPress import's parsers, Alembic's migrations) are registered by name and imported only when
    one runs (blog/core/commands.py), so that no web worker imports them (README, "Performance").
    """
    app = Flask(__name__, instance_relative_config=True, template_folder="../templates", static_folder="../static")
    settings.load(app, test_config)

    from blog.core import assets, backup, commands, compression, database, errors, keys, security
    from blog.core.extensions import db

    security.trust_proxies(app)  # the client address and mount path, checked before anything reads them
    db.init_app(app)
    database.init_app(app)  # before anything connects: the SQLite file's mode is set as it is created
    keys.init_app(app)  # a wrong FLASK_DATA_KEY stops here, before anything is served

    from blog.comments import views as comments
    from blog.moderation import (
        notices,
        privacy,
        privacy_views,  # noqa: F401 - the Privacy screen's routes join admin's blueprint
        retention,
        signin,
    )
    from blog.moderation import views as admin
    from blog.reading import archive, feeds, media, pagecache, redirects, search_view, versions
    from blog.reading import views as pages
    from blog.spam import commands as spam

    compression.init_app(app)  # first registered, so the last after_request hook: it sees the final body
    assets.init_app(app)  # before security: the CSP names the inline CSS's hash
    security.init_app(app)
    errors.init_app(app)
    redirects.init_app(app)  # a 404 first asks whether the address is an old one
    versions.init_app(app)
    backup.init_app(app)
    signin.init_app(app)
    comments.init_app(app)
    retention.init_app(app)
    privacy.init_app(app)
    notices.init_app(app)
    spam.init_app(app)
    app.register_blueprint(signin.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(comments.bp)
    app.register_blueprint(media.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(search_view.bp)
    app.register_blueprint(archive.bp)
    app.register_blueprint(pages.bp)  # last: its /<slug>/ catches what the others leave
    pagecache.init_app(app)  # outermost: plain article GETs are answered before Flask's machinery
    commands.init_app(app, db)  # `flask db`, `content`, `import`, `export`: imported when run
    return app
