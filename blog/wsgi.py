"""The web server's app: ``gunicorn -c gunicorn.conf.py`` (and any WSGI server) loads ``blog.wsgi:app``.

``serving=True`` leaves out what only the ``flask`` commands use (see ``blog.create_app``).
"""

from blog import create_app

app = create_app(serving=True)
