"""The commands: ``flask import wxr`` and ``flask export wxr``; each prints what it did."""

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from blog.moving import export, importer
from blog.moving.wxr import WXRError
from blog.publishing.publish import PublishError

import_cli = AppGroup("import", help="Move a site in from elsewhere.")
export_cli = AppGroup("export", help="Write the site out for elsewhere.")


@import_cli.command("wxr")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--content-dir", type=click.Path(file_okay=False, path_type=Path), help="The content folder (CONTENT_DIR)."
)
@click.option(
    "--media-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A copy of the site's wp-content/uploads; its images are copied beside the articles'.",
)
@click.option("--dry-run", is_flag=True, help="Read everything and report, but write nothing.")
@click.option("--force", is_flag=True, help="Overwrite files edited since the last import.")
@click.option("--no-pings", is_flag=True, help="Leave out pingbacks and trackbacks.")
def import_wxr(
    file: Path, content_dir: Path | None, media_dir: Path | None, dry_run: bool, force: bool, no_pings: bool
):
    """Import a WordPress export (WXR): posts and pages as Markdown files, published with their comments."""
    configured = Path(current_app.config["CONTENT_DIR"])
    content_dir = content_dir or configured
    if content_dir.resolve() != configured.resolve():
        # The import publishes; publishing another folder would withdraw every article of this one.
        click.echo(
            f"--content-dir {content_dir} is not the folder the blog publishes ({configured}); "
            "set FLASK_CONTENT_DIR to it to import there. Nothing was imported.",
            err=True,
        )
        sys.exit(1)
    try:
        report = importer.run(file, content_dir, media_dir, dry_run=dry_run, force=force, pings=not no_pings)
    except WXRError as e:
        click.echo(f"{file}: {e}. Nothing was imported.", err=True)
        sys.exit(1)
    except PublishError as e:
        for error in e.errors:
            click.echo(str(error), err=True)
        click.echo(f"Nothing was imported: the imported files did not publish ({len(e.errors)} problem(s)).", err=True)
        sys.exit(1)
    if dry_run:
        click.echo("Dry run: nothing was written. The import would do this:")
    for line in report.lines():
        click.echo(line)


@export_cli.command("wxr")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--site-url", default="http://localhost", show_default=True, help="The site's address, for the links.")
def export_wxr(file: Path, site_url: str):
    """Write the articles, pages, tags and comments as WXR 1.2, for WordPress's importer."""
    counts = export.write(file, site_url.rstrip("/"))
    click.echo(", ".join(f"{n} {what}" for what, n in counts.items()) + f" written to {file}")


def init_app(app) -> None:
    app.cli.add_command(import_cli)
    app.cli.add_command(export_cli)
