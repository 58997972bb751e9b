"""Draw the seed article's three illustrations into content/images/ (flat, deterministic, no text).

    python scripts/make_images.py [OUT_DIR]

The images are committed; this script is how they were made, so they can be redrawn or restyled.
Each is drawn at twice its size and scaled down, which is Pillow's way to smooth edges.
"""

import math
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT = 1200, 675
SCALE = 2
W, H = WIDTH * SCALE, HEIGHT * SCALE

# One muted palette for the three, so they sit together in the article.
INK = (38, 42, 56)
PAPER = (246, 241, 232)
NAVY = (36, 62, 112)
CRIMSON = (178, 52, 58)
PINE = (28, 94, 66)
PINE_LIGHT = (52, 128, 92)
SAND = (222, 205, 176)
STONE = (236, 230, 218)
STONE_SHADE = (204, 196, 182)
WOOD = (122, 80, 52)
WOOD_DARK = (92, 58, 38)
GOLD = (232, 178, 84)


def s(*values: float) -> list[int]:
    """Scale design coordinates (on the 1200×675 canvas) to the drawing canvas."""
    return [round(v * SCALE) for v in values]


def vertical_gradient(draw: ImageDraw.ImageDraw, box, top, bottom) -> None:
    x0, y0, x1, y1 = box
    for y in range(y0, y1):
        t = (y - y0) / max(1, y1 - y0 - 1)
        colour = tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        draw.line([(x0, y), (x1, y)], fill=colour)


def star(cx: float, cy: float, r: float, points: int = 5, rotation: float = -90) -> list[tuple[float, float]]:
    """Return the outline of a star centred on (cx, cy), in drawing coordinates."""
    outline = []
    for i in range(points * 2):
        radius = r if i % 2 == 0 else r * 0.42
        angle = math.radians(rotation + i * 180 / points)
        outline.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return outline


def finish(image: Image.Image, path: Path) -> None:
    image = image.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    image.save(path, "JPEG", quality=84, optimize=True, progressive=True)
    print(f"{path} {path.stat().st_size // 1024} KB")


def meeting(path: Path) -> None:
    """Two flag-inspired colour fields meeting over a negotiating table."""
    image = Image.new("RGB", (W, H), PAPER)
    draw = ImageDraw.Draw(image)
    # Left field: blue bands around a red field with a white disc and a red star.
    draw.rectangle(s(0, 0, 600, 675), fill=NAVY)
    draw.rectangle(s(0, 120, 600, 470), fill=(250, 248, 244))
    draw.rectangle(s(0, 140, 600, 450), fill=CRIMSON)
    draw.ellipse(s(150, 205, 330, 385), fill=(250, 248, 244))
    draw.polygon(star(*s(240, 295, 80)), fill=CRIMSON)
    # Right field: green with a white hoist band (mirrored, so both fields meet at the seam),
    # a crescent and a star.
    draw.rectangle(s(600, 0, 1200, 675), fill=PINE)
    draw.rectangle(s(600, 0, 690, 675), fill=(250, 248, 244))
    draw.ellipse(s(820, 170, 1040, 390), fill=(250, 248, 244))
    draw.ellipse(s(860, 150, 1070, 360), fill=PINE)
    draw.polygon(star(*s(990, 215, 44), rotation=-60), fill=(250, 248, 244))
    # A soft shadow band where the table stands, so it reads as a room.
    shade = Image.new("L", (W, H), 0)
    ImageDraw.Draw(shade).rectangle(s(0, 470, 1200, 675), fill=120)
    image.paste((24, 26, 34), mask=shade.filter(ImageFilter.GaussianBlur(18 * SCALE)))
    draw = ImageDraw.Draw(image)
    # The table, in perspective, with two delegations of chairs.
    for x in (250, 390, 810, 950):
        draw.rounded_rectangle(s(x - 38, 420, x + 38, 520), radius=14 * SCALE, fill=WOOD_DARK)
    draw.polygon(s(170, 500, 1030, 500, 1110, 585, 90, 585), fill=WOOD)
    draw.rectangle(s(90, 585, 1110, 605), fill=WOOD_DARK)
    draw.rectangle(s(140, 605, 170, 675), fill=WOOD_DARK)
    draw.rectangle(s(1030, 605, 1060, 675), fill=WOOD_DARK)
    # Papers, two microphones and the small table flags.
    for x in (300, 850):
        draw.polygon(s(x - 60, 520, x + 40, 520, x + 50, 560, x - 70, 560), fill=PAPER)
        draw.line(s(x + 90, 545, x + 90, 500, x + 70, 470), fill=INK, width=5 * SCALE)
        draw.ellipse(s(x + 60, 460, x + 80, 480), fill=INK)
    for pole, cloth in ((575, (527, 573)), (625, (627, 673))):
        draw.line(s(pole, 548, pole, 420), fill=(214, 214, 214), width=4 * SCALE)
        draw.ellipse(s(pole - 14, 542, pole + 14, 554), fill=(214, 214, 214))
        left, right = cloth
        if pole < 600:
            draw.rectangle(s(left, 422, right, 454), fill=NAVY)
            draw.rectangle(s(left, 428, right, 448), fill=(250, 248, 244))
            draw.rectangle(s(left, 430, right, 446), fill=CRIMSON)
        else:
            draw.rectangle(s(left, 422, right, 454), fill=PINE)
            draw.rectangle(s(left, 422, left + 12, 454), fill=(250, 248, 244))
    finish(image, path)


def embassy(path: Path) -> None:
    """An embassy's classical facade: steps, six columns, a pediment, a flag and trees."""
    image = Image.new("RGB", (W, H), PAPER)
    draw = ImageDraw.Draw(image)
    vertical_gradient(draw, (0, 0, W, s(520)[0]), (148, 190, 214), (226, 236, 236))
    draw.ellipse(s(930, 70, 1030, 170), fill=(250, 236, 200))
    # Lawn and path.
    draw.rectangle(s(0, 520, 1200, 675), fill=PINE_LIGHT)
    draw.polygon(s(540, 600, 660, 600, 760, 675, 440, 675), fill=SAND)
    # The building.
    draw.rectangle(s(250, 250, 950, 560), fill=STONE)
    draw.polygon(s(230, 250, 600, 110, 970, 250), fill=STONE)
    draw.polygon(s(290, 232, 600, 132, 910, 232), fill=STONE_SHADE)
    draw.ellipse(s(570, 168, 630, 222), fill=STONE)
    draw.rectangle(s(220, 250, 980, 282), fill=STONE_SHADE)
    draw.rectangle(s(230, 282, 970, 296), fill=STONE)
    for i in range(6):
        x = 300 + i * 120
        draw.rectangle(s(x, 300, x + 44, 540), fill=(250, 247, 240))
        draw.rectangle(s(x + 30, 300, x + 44, 540), fill=STONE_SHADE)
        draw.rectangle(s(x - 8, 296, x + 52, 310), fill=STONE)
        draw.rectangle(s(x - 8, 532, x + 52, 544), fill=STONE)
    # Door and windows between the columns.
    draw.rounded_rectangle(s(565, 400, 635, 540), radius=30 * SCALE, fill=WOOD_DARK)
    for x in (395, 755):
        draw.rectangle(s(x, 360, x + 50, 450), fill=(88, 112, 138))
        draw.line(s(x + 25, 360, x + 25, 450), fill=STONE, width=3 * SCALE)
    # Steps.
    for i, (inset, y) in enumerate(((200, 544), (180, 562), (160, 580))):
        draw.rectangle(s(inset, y, 1200 - inset, y + 20), fill=STONE if i % 2 else STONE_SHADE)
    # Flagpole with a plain red-and-blue pennant.
    draw.line(s(600, 110, 600, 30), fill=INK, width=4 * SCALE)
    draw.rectangle(s(602, 32, 680, 48), fill=NAVY)
    draw.rectangle(s(602, 48, 680, 70), fill=CRIMSON)
    draw.rectangle(s(602, 70, 680, 80), fill=NAVY)
    # Round trees on either side.
    for cx, r in ((120, 90), (1080, 90), (60, 60), (1150, 60)):
        draw.rectangle(s(cx - 8, 520 - 10, cx + 8, 600), fill=WOOD_DARK)
        draw.ellipse(s(cx - r, 520 - 2 * r, cx + r, 520), fill=PINE)
        draw.ellipse(s(cx - r * 0.6, 520 - 1.8 * r, cx + r * 0.2, 520 - r), fill=PINE_LIGHT)
    finish(image, path)


def horizon(path: Path) -> None:
    """A road running to a sunrise over layered hills: the future of a relationship."""
    image = Image.new("RGB", (W, H), PAPER)
    draw = ImageDraw.Draw(image)
    horizon_y = 380
    vertical_gradient(draw, (0, 0, W, s(horizon_y)[0]), (54, 70, 120), (244, 184, 128))
    # The sun, half risen, with faint rings.
    for r, colour in ((210, (246, 196, 140)), (160, (248, 208, 150)), (110, GOLD)):
        draw.ellipse(s(600 - r, horizon_y - r, 600 + r, horizon_y + r), fill=colour)
    # Hills, far to near.
    for colour, base, amp, phase in (
        ((96, 104, 140), 380, 40, 0.3),
        ((64, 96, 96), 430, 50, 1.7),
        (PINE, 500, 44, 3.1),
    ):
        points = [(0, H)]
        for x in range(0, 1201, 20):
            y = base - amp * (0.6 + 0.4 * math.sin(x / 170 + phase)) * (0.7 + 0.3 * math.sin(x / 61 + phase))
            points.append((x * SCALE, y * SCALE))
        points.append((W, H))
        draw.polygon(points, fill=colour)
    draw.rectangle(s(0, 560, 1200, 675), fill=PINE_LIGHT)
    # The road narrows to the sun; its centre line dashes shorten with distance.
    draw.polygon(s(596, 400, 604, 400, 900, 675, 300, 675), fill=(70, 70, 80))
    draw.polygon(s(598, 400, 602, 400, 880, 675, 320, 675), fill=(88, 88, 98))
    y = 675.0
    while y > 410:
        length = (y - 395) * 0.18
        width = max(1.0, (y - 395) * 0.035)
        draw.line(s(600, y, 600, y - length), fill=(250, 230, 170), width=round(width * SCALE))
        y -= length * 2.2
    # Birds: two strokes each.
    for bx, by, size in ((330, 150, 18), (380, 120, 12), (860, 170, 14)):
        draw.line(
            s(bx - size, by - size / 3, bx, by, bx + size, by - size / 3), fill=INK, width=3 * SCALE, joint="curve"
        )
    finish(image, path)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    meeting(out / "diplomatic-meeting.jpg")
    embassy(out / "north-korea-embassy-islamabad.jpg")
    horizon(out / "future-of-relations.jpg")


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else root / "content" / "images")
