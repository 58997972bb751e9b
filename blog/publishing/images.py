"""An article's local images at publish time: checked, sized, and resized for every screen.

Each image the Markdown shows is read once (bounded), checked (Pillow must read it, within a pixel and
a side limit), and given resized copies 480, 960 and 1440 px wide (never wider than the original) in
its own format and in WebP. The copies go to ``images/.sizes/``, next to the originals, so /media/
serves them; their names carry the image's content hash, so a changed image gets new URLs (cached for
a year, blog/reading/media.py) and an unchanged one is never resized again.
"""

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from PIL import Image, UnidentifiedImageError

from blog.publishing.files import ContentError, FileTooLarge, clip, display_path, read_file
from blog.reading.media import MEDIA_URL, VARIANTS

WIDTHS = (480, 960, 1440)
# Larger than any photograph a page should send; a larger file is refused before it is read.
MAX_IMAGE_BYTES = 20 * 1024 * 1024
# WebP's own limit; a taller or wider image is no photograph but a trap (or a mistake).
MAX_SIDE = 16383
# The wide column of the article page (--wide in static/css/site.css), in CSS pixels.
WIDE_COLUMN_PX = 992
# The formats resized in their own format too; any other (GIF) is sent as it is, WebP copies aside.
_OWN_FORMAT = {"JPEG": ("jpg", {"quality": 82, "progressive": True}), "PNG": ("png", {}), "WEBP": ("webp", {})}
_WEBP = {"quality": 80, "method": 4}


@dataclass(frozen=True)
class Variant:
    width: int
    height: int
    name: str  # relative to the images folder
    format: str  # Pillow's name: JPEG, PNG or WEBP


@dataclass(frozen=True)
class Picture:
    """What the page needs to show one image: its URL and size, and its resized copies."""

    src: str
    width: int
    height: int
    format: str = ""
    variants: tuple[Variant, ...] = ()

    def srcset(self, fmt: str) -> str:
        """Return the ``srcset`` of the copies in ``fmt``, with the original if it is in that format."""
        parts = [f"{MEDIA_URL}{quote(v.name)} {v.width}w" for v in self.variants if v.format == fmt]
        if fmt == self.format:
            parts.append(f"{self.src} {self.width}w")
        return ", ".join(parts)

    @property
    def sizes(self) -> str:
        shown = min(self.width, WIDE_COLUMN_PX)
        return f"(max-width: {shown}px) 100vw, {shown}px"


def _target_widths(width: int) -> list[int]:
    return [w for w in WIDTHS if w < width]


def plan(file: Path, images_dir: Path, data: bytes, where: tuple[Path, int], shown: str) -> Picture:
    """Check an image and return its picture: URL, size and the copies it gets.

    :param where: the article and line that show the image, for errors.
    :raise ContentError: for a file Pillow cannot read, one with more pixels than it decodes safely
        (a few bytes can claim billions of pixels, and every reader's browser would decode them), or
        a side longer than ``MAX_SIDE``.
    """
    with _opened(data, where, shown) as im:
        width, height = im.size
        fmt, animated = im.format, getattr(im, "is_animated", False)
    if max(width, height) > MAX_SIDE:
        raise ContentError(*where, f"image {shown} is {width:,} × {height:,} pixels; at most {MAX_SIDE:,} on a side")
    digest = hashlib.sha256(data).hexdigest()[:10]
    relative = file.relative_to(images_dir).as_posix()
    # The version makes the URL change with the bytes, so /media/ can be cached for a year.
    src = MEDIA_URL + quote(relative) + f"?v={digest}"
    if animated or fmt not in _OWN_FORMAT:
        return Picture(src, width, height, fmt)
    stem = f"{VARIANTS}/{relative.rsplit('.', 1)[0]}-{digest}"
    variants = []
    for w in [*_target_widths(width), width]:
        h = max(1, round(height * w / width))
        if w < width:
            ext = _OWN_FORMAT[fmt][0]
            variants.append(Variant(w, h, f"{stem}-{w}.{ext}", fmt))
        if w < width or fmt != "WEBP":
            variants.append(Variant(w, h, f"{stem}-{w}.webp", "WEBP"))
    return Picture(src, width, height, fmt, tuple(dict.fromkeys(variants)))


def _opened(data: bytes, where: tuple[Path, int], shown: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice that; the same image must not pass here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data))  # reads the header only
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ContentError(
            *where, f"image {shown} has more pixels than can be decoded safely (at most {Image.MAX_IMAGE_PIXELS:,})"
        ) from None
    except (UnidentifiedImageError, OSError):
        raise ContentError(*where, f"not an image (Pillow cannot read it): {shown}") from None


def write_variants(picture: Picture, data: bytes, images_dir: Path, where: tuple[Path, int], shown: str) -> int:
    """Write the copies of ``picture`` not already there; return how many were written.

    Each copy is written to a temporary file and renamed, so a reader never gets half a file; a copy
    that exists has the same name, hence the same source bytes, so it is left alone.

    :raise ContentError: when the image cannot be decoded (a truncated or corrupt file).
    """
    missing = [v for v in picture.variants if not (images_dir / v.name).is_file()]
    if not missing:
        return 0
    with _opened(data, where, shown) as im:
        try:
            im.load()
        except (OSError, ValueError) as e:
            raise ContentError(*where, f"image {shown} cannot be decoded: {clip(str(e))}") from None
        exif, icc = im.getexif(), im.info.get("icc_profile")
        for variant in missing:
            copy = im if variant.width == picture.width else im.resize((variant.width, variant.height), Image.LANCZOS)
            _save(_for_format(copy, variant.format), images_dir / variant.name, variant.format, exif, icc)
    return len(missing)


def _for_format(im: Image.Image, fmt: str) -> Image.Image:
    """Return the image in a mode its format can save (a palette or CMYK image for WebP, say)."""
    has_alpha = im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info
    if fmt == "JPEG":
        return im if im.mode in ("L", "RGB", "CMYK") else im.convert("RGB")
    if im.mode in ("RGB", "RGBA") or (fmt == "PNG" and im.mode in ("L", "LA", "P", "I;16")):
        return im
    return im.convert("RGBA" if has_alpha else "RGB")


def _save(im: Image.Image, target: Path, fmt: str, exif, icc) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    options = dict(_WEBP if fmt == "WEBP" else _OWN_FORMAT[fmt][1])
    # The orientation and colour profile travel with the copy, so it shows as the original does.
    if exif:
        options["exif"] = exif
    if icc:
        options["icc_profile"] = icc
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as out:
            im.save(out, fmt, **options)
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise


def resolve(file: Path, images_dir: Path, where: tuple[Path, int], shown: str, *, write: bool) -> Picture:
    """Check one local image of an article and return its picture, writing its copies if ``write``.

    :raise ContentError: for an image outside ``images_dir``, missing, too large, or unreadable.
    """
    if not file.is_relative_to(images_dir):
        raise ContentError(*where, f"image {shown} is not in {display_path(images_dir)}/, the folder /media/ serves")
    if not file.is_file():
        raise ContentError(*where, f"image not found: {shown}")
    try:
        data = read_file(file, MAX_IMAGE_BYTES)
    except FileTooLarge as e:
        raise ContentError(*where, f"image {shown} {e}") from None
    picture = plan(file, images_dir, data, where, shown)
    if write:
        write_variants(picture, data, images_dir, where, shown)
    return picture
