"""The Teams app's two icons, drawn in code: a 192x192 colour icon and a 32x32 white
outline on transparency, as the app package requires. No image library is needed for a
ring and a star, and the PNG format is a few lines of zlib."""

from __future__ import annotations

import math
import struct
import zlib

#: The accent colour (also the manifest's accentColor).
ACCENT = (0x4A, 0x3A, 0xFF)


def png(width: int, height: int, pixels: list[list[tuple[int, int, int, int]]]) -> bytes:
    """An 8-bit RGBA PNG of ``pixels`` (rows of (r, g, b, a))."""
    raw = b"".join(b"\x00" + b"".join(bytes(p) for p in row) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _star(outer: float, inner: float) -> list[tuple[float, float]]:
    """The ten corners of a five-pointed star around the origin, pointing up."""
    return [
        (
            (outer if k % 2 == 0 else inner) * math.sin(k * math.pi / 5),
            -(outer if k % 2 == 0 else inner) * math.cos(k * math.pi / 5),
        )
        for k in range(10)
    ]


def _inside(x: float, y: float, polygon: list[tuple[float, float]]) -> bool:
    """Whether (x, y) lies inside ``polygon`` (even-odd ray casting)."""
    inside = False
    for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _draw(size: int, colour: bool) -> list[list[tuple[int, int, int, int]]]:
    centre = (size - 1) / 2
    ring_outer, ring_inner = size * 0.46, size * 0.38
    star = _star(size * 0.30, size * 0.12)
    rows = []
    for j in range(size):
        row = []
        for i in range(size):
            x, y = i - centre, j - centre
            r = math.hypot(x, y)
            in_ring = ring_inner <= r <= ring_outer
            in_star = _inside(x, y + size * 0.02, star)
            if colour:  # a gold ring and a white star on the accent colour
                if in_star:
                    row.append((255, 255, 255, 255))
                elif in_ring:
                    row.append((0xFF, 0xC8, 0x3D, 255))
                else:
                    row.append((*ACCENT, 255))
            else:
                row.append((255, 255, 255, 255) if in_ring or in_star else (0, 0, 0, 0))
        rows.append(row)
    return rows


def colour_icon() -> bytes:
    """``color.png``: 192x192, full colour."""
    return png(192, 192, _draw(192, colour=True))


def outline_icon() -> bytes:
    """``outline.png``: 32x32, white on transparent."""
    return png(32, 32, _draw(32, colour=False))
