"""The keys a run keeps in its instance folder when the environment gives none: the secret key of a local
run (`make serve`, and commands beside it), and the data key commenters' emails are encrypted with."""

import base64
import contextlib
import os
import secrets
from pathlib import Path


def kept_secret(instance: Path) -> str | None:
    """Return the secret key a local run keeps in the instance folder, if there is one."""
    path = instance / "secret_key"
    return path.read_text().strip() if path.is_file() else None


def data_key(instance: Path) -> str:
    """Return the data key kept in the instance folder, made there (0600) on first use."""
    path = instance / "data_key"
    if not path.is_file():
        instance.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # another command made it just now
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as stream:
                stream.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
    return path.read_text().strip()


# Said at every production start without FLASK_DATA_KEY. Not a refusal: every earlier deployment (and
# every acceptance check) starts without it, and a blog that stops is worse than one that warns.
NO_DATA_KEY = (
    "FLASK_DATA_KEY is not set: commenters' emails are encrypted with the key kept in %s, beside the "
    "data. Set FLASK_DATA_KEY to that key (or a new one, then run `flask --app blog keys rotate`) and "
    "keep it apart from the database and its backups: without it the stored emails cannot be read."
)


def instance_secret(instance: Path) -> str:
    """Return the local run's secret key, generating and keeping it on first use."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
