"""Bar charts as PNG for the monthly report: mail clients show inline PNG reliably, and neither
SVG, scripts nor data: URIs. Pillow draws them (a well-kept imaging library; PNG by hand would
mean writing its encoder).

Pillow's own font has Latin letters only, so a bar is named by its label where that is ASCII and
by its row number otherwise; the report's table beside the chart gives every row's full name.
"""

from __future__ import annotations

import io
from typing import Sequence

from PIL import Image, ImageDraw, ImageFont

WIDTH, ROW, PAD, LABEL = 560, 26, 12, 150
COLOURS = ("#3b6ea5", "#c0504d", "#9bbb59", "#8064a2", "#f79646", "#4bacc6")


def bar_chart(title: str, rows: Sequence[tuple[str, Sequence[int]]], series: Sequence[str] = ()) -> bytes:
    """Horizontal bars, one row per (label, values); several values per row stack, in the order of
    `series` (named in a legend). Returns the PNG."""
    font = ImageFont.load_default(13)
    legend = ROW if series else 0
    height = PAD * 2 + ROW + legend + ROW * max(1, len(rows))
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((PAD, PAD), title, fill="#222", font=font)
    x = PAD
    for index, name in enumerate(series):
        draw.rectangle((x, PAD + ROW, x + 10, PAD + ROW + 10), fill=COLOURS[index % len(COLOURS)])
        draw.text((x + 14, PAD + ROW - 2), name, fill="#444", font=font)
        x += 24 + int(draw.textlength(name, font=font))
    top = PAD + ROW + legend
    most = max((sum(values) for _, values in rows), default=0) or 1
    room = WIDTH - LABEL - PAD * 2 - 40
    for number, (label, values) in enumerate(rows, 1):
        y = top + (number - 1) * ROW
        shown = label if label.isascii() else f"#{number}"
        draw.text((PAD, y + 4), shown[:22], fill="#222", font=font)
        x = PAD + LABEL
        for index, value in enumerate(values):
            width = round(room * value / most)
            if width:
                draw.rectangle((x, y + 3, x + width, y + ROW - 5), fill=COLOURS[index % len(COLOURS)])
            x += width
        draw.text((x + 6, y + 4), str(sum(values)), fill="#222", font=font)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
