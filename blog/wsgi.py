"""The web server's app: ``flask serve`` (granian), ``gunicorn -c gunicorn.conf.py`` and any WSGI server
load ``blog.wsgi:app``."""

from blog import create_app
from blog.core import prefork

app = create_app()
# Each granian worker loads this module itself: from here on its freed page buffers go back to the system
# (gunicorn.conf.py has done this in gunicorn's master already; a second call changes nothing).
prefork.return_freed_memory()
