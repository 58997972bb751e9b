"""gunicorn settings for a small machine (2 cores): see README, "Deployment" and "Performance".

The blog's production server is ``flask serve`` (granian, blog/core/server.py), which measured best
here. gunicorn still runs it, with these settings: the contract's acceptance checks start it so, and an
operator may prefer it. Three sync workers spread connections evenly and measured best of gunicorn's
worker classes. Override with WEB_CONCURRENCY or gunicorn's own flags.
"""

import os
import sys

from blog.core import prefork
from blog.core.settings import SettingsError, check_environment

# A bad setting stops the server here, before it loads the app, with the settings' own lines: loading
# the app would stop it too, but under a Python traceback that buries them.
try:
    check_environment()
except SettingsError as refused:
    sys.exit(f"The blog cannot start; fix these settings:\n{refused.message}")

# Before the app is loaded, so the master and the workers forked from it give freed memory back.
prefork.return_freed_memory()

wsgi_app = "blog.wsgi:app"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "sync"
# Load the app once in the master and fork: less memory and a faster start for every worker.
preload_app = True
timeout = 30
graceful_timeout = 10
max_requests = 0
accesslog = os.environ.get("GUNICORN_ACCESS_LOG")  # off unless asked: it costs ~10% at full load
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Take no WSGI variable from a request header, not even from a trusted address (nginx's, and any local
# client's): gunicorn's default takes SCRIPT_NAME and PATH_INFO so, and answered 500 to any request whose
# path did not start with a client's SCRIPT_NAME header. The blog is mounted at the root, or where the
# operator's SCRIPT_NAME environment variable says.
forwarder_headers = ""


def when_ready(server):
    """Build once in the master what every worker would build for itself (blog/core/prefork.py)."""
    prefork.prepare(server.app.wsgi())


def post_fork(server, worker):
    """Give every worker its own database connections: none may cross a fork."""
    prefork.forget_inherited_connections(server.app.wsgi())
