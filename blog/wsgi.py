"""The web server's app: ``gunicorn -c gunicorn.conf.py`` (and any WSGI server) loads ``blog.wsgi:app``."""

from blog import create_app

app = create_app()
