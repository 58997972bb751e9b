"""A Flask blog that publishes Markdown articles and takes WordPress-style moderated comments."""

from flask import Flask

from . import config


def create_app(test_config=None):
    """Create and configure the blog."""
    app = Flask(__name__, instance_relative_config=True, template_folder="../templates", static_folder="../static")
    config.load(app, test_config)

    from . import security

    security.trust_proxies(app)  # the client address and mount path, checked before anything reads them

    from . import database  # noqa: F401  (registers the SQLite engine hooks)
    from .extensions import db, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))

    from . import (
        admin,
        auth,
        backup,
        comments,
        errors,
        feeds,
        media,
        notify,
        pagecache,
        pages,
        publish,
        retention,
        security,
    )

    security.init_app(app)
    errors.init_app(app)
    publish.init_app(app)
    backup.init_app(app)
    auth.init_app(app)
    comments.init_app(app)
    retention.init_app(app)
    notify.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(comments.bp)
    app.register_blueprint(media.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(pages.bp)  # last: its /<slug>/ catches what the others leave
    pagecache.init_app(app)  # outermost: plain article GETs are answered before Flask's machinery
    return app
