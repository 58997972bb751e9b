"""`flask content publish` (stub, built in issue 2)."""


def init_app(app):
    pass
