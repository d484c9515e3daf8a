"""Self-contained HTML pages of images: every image embedded as a base64 data
URI, one inline style sheet, no script and no network fetch (the CAM gallery,
:mod:`wsss_mm.apis.cam_gallery`)."""

import base64
import html
from typing import Dict, Optional, Sequence

import cv2
import numpy as np

#: the page's style sheet: compact rows, sticky column headers
STYLE = """
body { font-family: sans-serif; font-size: 13px; margin: 12px; color: #222; }
h1 { font-size: 18px; margin: 0 0 6px 0; }
p.meta { color: #555; margin: 0 0 10px 0; }
table { border-collapse: collapse; }
table.summary { margin-bottom: 14px; }
table.summary td, table.summary th { border: 1px solid #bbb; padding: 3px 8px; text-align: right; }
table.summary td:first-child, table.summary th:first-child { text-align: left; }
table.gallery th { position: sticky; top: 0; background: #eee; padding: 4px; }
table.gallery td { border-top: 1px solid #ccc; padding: 4px; vertical-align: top; }
figure { display: inline-block; margin: 0 4px 4px 0; }
figure img { display: block; }
figcaption { font-size: 11px; max-width: 220px; line-height: 1.25; }
.score { color: #444; }
.swatch { display: inline-block; width: 9px; height: 9px; margin-right: 2px;
          border: 1px solid #777; vertical-align: middle; }
"""


def data_uri(image: np.ndarray, fmt: str = 'jpeg', quality: int = 85) -> str:
    """An image as a ``data:`` URI.

    Args:
        image (np.ndarray): (H, W, 3) uint8 RGB.
        fmt (str): ``'jpeg'`` (photos, heat maps) or ``'png'`` (label maps:
            exact colours).
        quality (int): JPEG quality.

    Returns:
        str: ``data:image/<fmt>;base64,...``.

    Raises:
        ValueError: an unknown format, or the encoder failed.
    """
    if fmt not in ('jpeg', 'png'):
        raise ValueError(f'image format must be "jpeg" or "png", got "{fmt}"')
    params = [cv2.IMWRITE_JPEG_QUALITY, quality] if fmt == 'jpeg' else []
    ok, buf = cv2.imencode('.jpg' if fmt == 'jpeg' else '.png', image[:, :, ::-1], params)
    if not ok:
        raise ValueError(f'could not encode a {image.shape} image as {fmt}')
    return f'data:image/{fmt};base64,' + base64.b64encode(buf.tobytes()).decode('ascii')


def attrs(values: Dict[str, object]) -> str:
    """`` key="value"`` pairs, escaped; None values left out."""
    return ''.join(
        f' {key}="{html.escape(str(value))}"' for key, value in values.items() if value is not None
    )


def figure(uri: str, caption_html: str = '', alt: str = '', **data: object) -> str:
    """``<figure>`` of one embedded image with a caption.

    Args:
        uri (str): the image's data URI (:func:`data_uri`).
        caption_html (str): the caption, already HTML (escape text with
            :func:`html.escape`).
        alt (str): the image's alternative text.
        **data: ``data-<key>`` attributes of the figure (``_`` becomes ``-``).
    """
    data_attrs = attrs({'data-' + k.replace('_', '-'): v for k, v in data.items()})
    caption = f'<figcaption>{caption_html}</figcaption>' if caption_html else ''
    return f'<figure{data_attrs}><img src="{uri}" alt="{html.escape(alt)}">{caption}</figure>'


def swatch(rgb: Sequence[int]) -> str:
    """A small square of a palette colour."""
    r, g, b = (int(c) for c in rgb)
    return f'<span class="swatch" style="background: rgb({r},{g},{b})"></span>'


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    css_class: str,
    row_attrs: Optional[Sequence[Dict[str, object]]] = None,
    header_is_html: bool = False,
) -> str:
    """An HTML table: a ``<thead>`` of one row and a ``<tbody>`` row per entry.

    Args:
        header (Sequence[str]): column titles (text, escaped here, unless
            ``header_is_html``).
        rows (Sequence[Sequence[str]]): cells, already HTML.
        css_class (str): the table's class.
        row_attrs (Sequence[dict], optional): attributes of each body row.
    """
    titles = header if header_is_html else [html.escape(h) for h in header]
    head = ''.join(f'<th>{t}</th>' for t in titles)
    row_attrs = row_attrs or [{}] * len(rows)
    body = '\n'.join(
        f'<tr{attrs(a)}>' + ''.join(f'<td>{c}</td>' for c in row) + '</tr>'
        for row, a in zip(rows, row_attrs)
    )
    return (
        f'<table class="{html.escape(css_class)}">\n<thead><tr>{head}</tr></thead>\n'
        f'<tbody>\n{body}\n</tbody>\n</table>'
    )


def html_page(title: str, body: str) -> str:
    """A complete page: UTF-8, the inline :data:`STYLE`, ``body`` (HTML)."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n'
        f'<body>\n<h1>{html.escape(title)}</h1>\n{body}\n</body>\n</html>\n'
    )
