"""Images at publish: resized copies in their format and WebP, made once, cached for a year; hostile files refused."""

import re
from pathlib import Path

import pytest
from PIL import Image

from blog.publishing import images
from blog.publishing.publish import PublishError, publish
from tests.conftest import ROOT

ARTICLE = '---\ntitle: A photograph\ndate: 2024-05-01\n---\n\n![A wide picture](images/{name} "Its caption")\n'


def write_article(content_dir: Path, name: str, size: tuple[int, int], fmt: str = "JPEG") -> Path:
    # Noise, so that a JPEG has data to cut short; effect_noise is Pillow's own, deterministic enough.
    Image.effect_noise(size, 64).convert("RGB").save(content_dir / "images" / name, fmt)
    (content_dir / "photo.md").write_text(ARTICLE.format(name=name), encoding="utf-8")
    return content_dir / "images" / name


def variant_names(content_dir: Path) -> list[str]:
    folder = content_dir / "images" / images.VARIANTS
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def saves(monkeypatch):
    """Count the copies written (each is one resize and one encode)."""
    written = []
    real = images._save

    def counting(im, target, *args):
        written.append(target.name)
        real(im, target, *args)

    monkeypatch.setattr(images, "_save", counting)
    return written


def test_publish_writes_each_width_in_both_formats_never_upscaled(app, client, content_dir, saves):
    write_article(content_dir, "wide.jpg", (1000, 500))
    with app.app_context():
        publish(content_dir)
    names = variant_names(content_dir)
    assert [re.sub(r"-[0-9a-f]{10}-", "-HASH-", n) for n in names] == [
        "wide-HASH-1000.webp",
        "wide-HASH-480.jpg",
        "wide-HASH-480.webp",
        "wide-HASH-960.jpg",
        "wide-HASH-960.webp",
    ]
    with Image.open(content_dir / "images" / images.VARIANTS / names[1]) as small:
        assert small.size == (480, 240)
    page = client.get("/photo/").get_data(as_text=True)
    img = re.search(r"<img [^>]*>", page).group()
    assert 'width="1000" height="500"' in img and 'loading="lazy"' in img and 'decoding="async"' in img
    srcset = re.search(r'<img [^>]*srcset="([^"]+)"', page).group(1)
    assert [c.split()[1] for c in srcset.split(", ")] == ["480w", "960w", "1000w"]
    webp = re.search(r'<source type="image/webp" srcset="([^"]+)"', page).group(1)
    for candidate in [c.split()[0] for c in srcset.split(", ") + webp.split(", ")]:
        with client.get(candidate) as response:
            assert response.status_code == 200
            if images.VARIANTS in candidate:
                assert {"public", "max-age=31536000", "immutable"} <= set(response.headers["Cache-Control"].split(", "))


def test_unchanged_images_are_not_resized_again(app, content_dir, saves):
    image = write_article(content_dir, "wide.jpg", (1000, 500))
    with app.app_context():
        publish(content_dir)
        assert len(saves) == 5
        # The article changes, its image does not: it is rendered again, but nothing is resized.
        (content_dir / "photo.md").write_text(ARTICLE.format(name="wide.jpg") + "\nMore text.\n", encoding="utf-8")
        publish(content_dir)
        publish(content_dir, force=True)
        assert len(saves) == 5
        # A changed image gets new names, so its old URLs (cached for a year) never show the new picture.
        before = set(variant_names(content_dir))
        Image.new("RGB", (1000, 500), (0, 0, 200)).save(image, "JPEG")
        publish(content_dir)
    assert len(saves) == 10
    assert not before & set(variant_names(content_dir)) - before


def test_small_images_get_a_webp_copy_only(app, content_dir, saves):
    write_article(content_dir, "small.png", (300, 200), "PNG")
    with app.app_context():
        publish(content_dir)
    assert [re.sub(r"-[0-9a-f]{10}-", "-HASH-", n) for n in variant_names(content_dir)] == ["small-HASH-300.webp"]


@pytest.mark.parametrize(
    ("size", "message"),
    [
        ((20000, 1), "image images/huge.png is 20,000 × 1 pixels; at most 16,383 on a side"),
        ((1, 17000), "image images/huge.png is 1 × 17,000 pixels; at most 16,383 on a side"),
    ],
)
def test_huge_dimensions_are_a_publish_error(app, content_dir, size, message, saves):
    write_article(content_dir, "huge.png", size, "PNG")
    with app.app_context(), pytest.raises(PublishError) as caught:
        publish(content_dir)
    assert [str(e) for e in caught.value.errors] == [f"{content_dir / 'photo.md'}:6: {message}"]
    assert saves == []


def test_a_decompression_bomb_is_a_publish_error(app, content_dir, monkeypatch, saves):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    write_article(content_dir, "bomb.png", (100, 100), "PNG")
    with app.app_context(), pytest.raises(PublishError) as caught:
        publish(content_dir)
    assert "has more pixels than can be decoded safely (at most 1,000)" in str(caught.value.errors[0])
    assert saves == []


def test_a_truncated_image_is_a_publish_error(app, content_dir):
    image = write_article(content_dir, "cut.jpg", (1000, 500))
    image.write_bytes(image.read_bytes()[: image.stat().st_size // 2])
    with app.app_context(), pytest.raises(PublishError) as caught:
        publish(content_dir)
    assert str(caught.value.errors[0]).startswith(
        f"{content_dir / 'photo.md'}:6: image images/cut.jpg cannot be decoded"
    )


def test_the_code_palette_is_generated_and_readable():
    """static/css/code.css is what scripts/make_code_css.py writes, and every colour reads at 4.5:1."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_code_css", ROOT / "scripts" / "make_code_css.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    css = (ROOT / "static" / "css" / "code.css").read_text(encoding="utf-8")
    light, dark = css.split("@media (prefers-color-scheme: dark)")
    assert script.rules(*script.LIGHT) == [line for line in light.splitlines() if line.startswith(".")]
    for part, background in ((light, script.LIGHT[1]), (dark, script.DARK[1])):
        colours = re.findall(r"color: (#[0-9a-f]{6})", part)
        assert len(colours) > 20
        assert min(script.contrast(c, background) for c in colours) >= 4.5
    assert "style=" not in css and "background" not in css
