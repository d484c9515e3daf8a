"""The CAM gallery: one self-contained HTML page that shows CAM folders and
label-map folders (seeds, walked scores, CRF or pseudo masks) side by side on
the same images, with each folder's mIoU from the evaluation of
``tools/eval_cams.py``.

Page layout: a summary table (one row per folder: kind, mIoU, best background
threshold), then one row per image: the image, its ground truth in palette
colours, and one cell per folder. A CAM folder's cell holds one heat-map
overlay per map (class name, the map's max score, the class's IoU in this
image at the folder's best threshold); a label-map folder's cell holds the
colourised map. Per-image IoUs use the same code as the folder's mIoU
(:class:`~wsss_mm.evaluation.ThresholdSweep` at the best threshold, or the
label-map confusion of :func:`~wsss_mm.evaluation.evaluate_label_maps`).
"""

import html
import os
import os.path as osp
import random
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np

from wsss_mm.cams.cam_file import CAM_SUFFIX, LEGACY_SUFFIX, find_cam_file, load_cam_file
from wsss_mm.datasets.data_layout import DataLayout, detect_layout
from wsss_mm.evaluation import (
    ReadLabelMap,
    ThresholdSweep,
    confusion_matrix,
    evaluate_label_maps,
    gt_mask_dirs,
    iou_from_confusion,
    load_pair,
)
from wsss_mm.evaluation.seed_miou import DEFAULT_THRESHOLDS
from wsss_mm.utils.html_page import data_uri, figure, html_page, swatch, table
from wsss_mm.utils.io import atomic_path, read_image, read_split
from wsss_mm.utils.progress import progress
from wsss_mm.utils.visualization import class_name, colourise_mask, heat_overlay

from .config_utils import resolve_split
from .eval_cams import eval_cams
from .label_maps import ReadCAMFile, check_cam_dir, image_path

#: how the rows can be ordered
SORTS = ('disagree', 'worst', 'best', 'random')
#: the two kinds of folder
CAMS, MASKS = 'cams', 'masks'


@dataclass
class GallerySource:
    """One column of the gallery.

    Attributes:
        name (str): the column's title.
        path (str): the folder.
        kind (str): ``'cams'`` (``<image_id>.npz`` CAM files) or ``'masks'``
            (``<image_id>.png`` label maps, 255 = ignore).
    """

    name: str
    path: str
    kind: str


def folder_kind(path: str) -> str:
    """Whether a folder holds CAM files (``'cams'``) or PNG label maps
    (``'masks'``): the kind with more files; CAM files win a tie.

    Raises:
        FileNotFoundError: the folder does not exist.
        ValueError: it holds neither (the message names it).
    """
    if not osp.isdir(path):
        raise FileNotFoundError(f'folder not found: {path}')
    names = os.listdir(path)
    cams = sum(n.endswith((CAM_SUFFIX, LEGACY_SUFFIX)) for n in names)
    pngs = sum(n.endswith('.png') for n in names)
    if cams == pngs == 0:
        raise ValueError(
            f'{path} holds neither CAM files (<image_id>{CAM_SUFFIX}) nor label maps '
            '(<image_id>.png)'
        )
    return CAMS if cams >= pngs else MASKS


def parse_sources(specs: Sequence[str]) -> List[GallerySource]:
    """``NAME=DIR`` arguments as gallery columns, the kind of each folder
    detected (:func:`folder_kind`).

    Raises:
        ValueError: a value is not ``NAME=DIR``, a name repeats, or a folder
            holds neither kind of file (the value is named).
        FileNotFoundError: a folder does not exist (the value is named).
    """
    if not specs:
        raise ValueError('give at least one NAME=DIR folder')
    sources = []
    for spec in specs:
        name, sep, path = spec.partition('=')
        if not sep or not name.strip() or not path.strip():
            raise ValueError(f'"{spec}" is not NAME=DIR (e.g. cam=work_dirs/cam/cams)')
        if any(s.name == name for s in sources):
            raise ValueError(f'"{spec}": the name "{name}" is given twice')
        try:
            kind = folder_kind(path)
        except (FileNotFoundError, ValueError) as e:
            raise type(e)(f'"{spec}": {e}') from None
        sources.append(GallerySource(name, path, kind))
    return sources


def check_source(source: GallerySource, img_ids: Sequence[str]) -> None:
    """Checks that every image of the split has a file in the folder.

    Raises:
        FileNotFoundError: naming the folder and the missing images.
    """
    if source.kind == CAMS:
        try:
            check_cam_dir(source.path, img_ids)
        except FileNotFoundError as e:
            raise FileNotFoundError(f'{source.name}={source.path}: {e}') from None
        return
    missing = [i for i in img_ids if not osp.isfile(osp.join(source.path, i + '.png'))]
    if missing:
        raise FileNotFoundError(
            f'{source.name}={source.path}: {len(missing)} of {len(img_ids)} images of the '
            f'split have no label map <image_id>.png, e.g. {missing[:5]}'
        )


def evaluate_source(
    source: GallerySource,
    data_root: str,
    split: str,
    img_ids: Sequence[str],
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
) -> dict:
    """A folder's mIoU on the split: :func:`~wsss_mm.apis.eval_cams.eval_cams`'s
    sweep for CAM files (what ``tools/eval_cams.py`` prints), the label-map
    mIoU for PNG folders.

    Returns:
        dict: ``miou`` (percent), ``threshold`` (the best background
        threshold; None for label maps), ``class_iou`` (K, percent).
    """
    if source.kind == CAMS:
        result = eval_cams(source.path, data_root, split, thresholds)['cams']
        return dict(
            miou=result['miou'], threshold=result['threshold'], class_iou=result['class_iou']
        )
    result = evaluate_label_maps(ReadLabelMap(source.path), img_ids, data_root, desc='eval masks')
    return dict(miou=result['miou'], threshold=None, class_iou=result['class_iou'])


def image_ious(
    source: GallerySource, img_id: str, mask_dirs: Sequence[str], threshold: Optional[float], k: int
) -> np.ndarray:
    """(K,) per-class IoU (fraction; NaN where a class is in neither the mask
    nor the prediction) of one image: the CAMs at ``threshold`` or the label
    map (ignore predictions left out, as :func:`evaluate_label_maps` does)."""
    if source.kind == CAMS:
        read = ReadCAMFile(source.path)
        gt, cam = load_pair(img_id, mask_dirs, read, read.size, read.what)
        sweep = ThresholdSweep([threshold], k)
        sweep.update(gt, cam['keys'], cam['cam'])
        return iou_from_confusion(sweep.confusions()[0])
    gt, pred = load_pair(img_id, mask_dirs, ReadLabelMap(source.path))
    pred = np.where(pred == 255, k, pred)
    return iou_from_confusion(confusion_matrix(gt, pred, k + 1)[:k, :k])


def mean_iou(ious: np.ndarray) -> np.ndarray:
    """The mean over the last axis, ignoring NaN (NaN where all are NaN)."""
    counts = np.sum(~np.isnan(ious), axis=-1)
    total = np.nansum(ious, axis=-1)
    return np.where(counts > 0, total / np.maximum(counts, 1), np.nan)


def sort_images(
    img_ids: Sequence[str], mious: np.ndarray, how: str = 'disagree', seed: int = 0
) -> List[int]:
    """The order of the gallery's rows.

    Args:
        img_ids (Sequence[str]): N images.
        mious (np.ndarray): (N, M) per-image mIoU of each of M folders (NaN
            counts as 0).
        how (str): ``'disagree'``: the largest spread (max - min over the
            folders) first, then the lowest mean; ``'worst'`` / ``'best'``:
            by the mean over the folders; ``'random'``: shuffled with ``seed``.

    Returns:
        list[int]: indices into ``img_ids``.
    """
    if how not in SORTS:
        raise ValueError(f'sort must be one of {SORTS}, got "{how}"')
    n = len(img_ids)
    mean = np.nan_to_num(mean_iou(mious)) if mious.size else np.zeros(n)
    if how == 'random':
        order = list(range(n))
        random.Random(seed).shuffle(order)
        return order
    if how == 'disagree':
        filled = np.nan_to_num(mious)
        spread = filled.max(1) - filled.min(1) if mious.size else np.zeros(n)
        return np.lexsort((mean, -spread)).tolist()
    return np.argsort(mean if how == 'worst' else -mean, kind='stable').tolist()


def thumbnail_size(shape: Sequence[int], size: int) -> tuple:
    """(width, height) of an (H, W) image scaled so its longer side is ``size``."""
    h, w = shape[:2]
    scale = size / max(h, w)
    return max(1, round(w * scale)), max(1, round(h * scale))


def _pct(value: float) -> str:
    return '-' if value is None or np.isnan(value) else f'{100 * value:.1f}'


def cam_cell(
    img: np.ndarray, cam: Dict[str, np.ndarray], ious: np.ndarray, layout: DataLayout, size: tuple
) -> str:
    """One overlay per map: class name, the map's max score, the class's IoU."""
    figures = []
    for key, heat in zip(cam['keys'].tolist(), cam['cam']):
        small = cv2.resize(heat, size, interpolation=cv2.INTER_LINEAR)
        name = class_name(key, layout.classes)
        caption = (
            f'{swatch(layout.palette[key])}{html.escape(name)} '
            f'<span class="score">max {heat.max():.2f} · IoU {_pct(ious[key])}</span>'
        )
        figures.append(
            figure(data_uri(heat_overlay(img, small)), caption, name, class_id=key, iou=ious[key])
        )
    return ''.join(figures) or '<em>no maps</em>'


def mask_caption(mask: np.ndarray, layout: DataLayout, ious: Optional[np.ndarray] = None) -> str:
    """The classes of a label map, each with its colour (and IoU)."""
    parts = []
    for k in np.unique(mask).tolist():
        if k == 255 or k >= len(layout.classes):
            continue
        iou = '' if ious is None else f' <span class="score">{_pct(ious[k])}</span>'
        parts.append(f'{swatch(layout.palette[k])}{html.escape(layout.classes[k])}{iou}')
    return ', '.join(parts)


def build_gallery(
    sources: Sequence[GallerySource],
    data_root: str,
    out: str,
    split: Optional[str] = None,
    num: int = 20,
    sort: str = 'disagree',
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    thumb_size: int = 160,
    seed: int = 0,
    title: str = 'CAM gallery',
) -> dict:
    """Writes the gallery page (see the module's docstring).

    Args:
        sources (Sequence[GallerySource]): the columns (:func:`parse_sources`).
        data_root (str): VOC- or COCO-layout root of the images and masks.
        out (str): the HTML file to write.
        split (str, optional): split file, absolute or relative to the data
            root. Default: the layout's train split (as ``tools/eval_cams.py``).
        num (int): rows (images) shown; every image of the split is evaluated.
        sort (str): row order, one of :data:`SORTS` (:func:`sort_images`).
        thresholds (Sequence[float]): the CAM folders' background sweep.
        thumb_size (int): the longer side of the shown images, in pixels.
        seed (int): the shuffle of ``sort='random'``.
        title (str): the page's title.

    Returns:
        dict: ``out``, ``num_images`` (rows), ``split_images``, ``sort`` and
        ``methods``: ``{name: {kind, miou, threshold}}``.

    Raises:
        FileNotFoundError: the data root, the split or some image's file is
            missing (the value is named).
        ValueError: bad ``num``, ``sort`` or ``thumb_size``.
    """
    if not osp.isdir(data_root):
        raise FileNotFoundError(f'data root not found: {data_root}')
    if num < 1 or thumb_size < 16:
        raise ValueError(f'need num >= 1 and thumb_size >= 16, got {num} and {thumb_size}')
    if sort not in SORTS:
        raise ValueError(f'sort must be one of {SORTS}, got "{sort}"')
    layout = detect_layout(data_root)
    split = split or layout.train_split
    ids = read_split(resolve_split(split, data_root))
    mask_dirs = gt_mask_dirs(data_root)
    for source in sources:
        check_source(source, ids)
    k = len(layout.classes)
    summary = {s.name: evaluate_source(s, data_root, split, ids, thresholds) for s in sources}

    ious = np.full((len(ids), len(sources), k), np.nan)
    for i, img_id in enumerate(progress(ids, desc='gallery: per-image IoU')):
        for j, s in enumerate(sources):
            ious[i, j] = image_ious(s, img_id, mask_dirs, summary[s.name]['threshold'], k)
    mious = mean_iou(ious)  # (N, M), fractions
    shown = sort_images(ids, mious, sort, seed)[:num]

    rows, row_attrs = [], []
    for i in progress(shown, desc='gallery: drawing'):
        img_id = ids[i]
        img = read_image(image_path(data_root, img_id))[:, :, ::-1]
        size = thumbnail_size(img.shape, thumb_size)
        small = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
        gt, _ = load_pair(img_id, mask_dirs, lambda _: img[:, :, 0], what='image')
        gt_small = cv2.resize(gt, size, interpolation=cv2.INTER_NEAREST)
        cells = [
            figure(data_uri(small), html.escape(img_id), img_id),
            figure(
                data_uri(colourise_mask(gt_small, layout.flat_palette()), 'png'),
                mask_caption(gt, layout),
                'ground truth',
            ),
        ]
        for j, s in enumerate(sources):
            head = f'<div class="score">image mIoU {_pct(mious[i, j])}</div>'
            if s.kind == CAMS:
                cam = load_cam_file(find_cam_file(s.path, img_id))
                body = cam_cell(small, cam, ious[i, j], layout, size)
            else:
                pred = ReadLabelMap(s.path)(img_id)
                pred_small = cv2.resize(pred, size, interpolation=cv2.INTER_NEAREST)
                body = figure(
                    data_uri(colourise_mask(pred_small, layout.flat_palette()), 'png'),
                    mask_caption(pred, layout, ious[i, j]),
                    s.name,
                )
            cells.append(f'<div data-method="{html.escape(s.name)}">{head}{body}</div>')
        rows.append(cells)
        row_attrs.append({'data-image': img_id})

    summary_rows = [
        [
            html.escape(s.name),
            'CAM files' if s.kind == CAMS else 'label maps',
            f'{summary[s.name]["miou"]:.2f}',
            '-' if summary[s.name]['threshold'] is None else f'{summary[s.name]["threshold"]:.2f}',
        ]
        for s in sources
    ]
    summary_attrs = [
        {
            'data-method': s.name,
            'data-kind': s.kind,
            'data-miou': f'{summary[s.name]["miou"]:.4f}',
            'data-threshold': summary[s.name]['threshold'],
        }
        for s in sources
    ]
    body = '\n'.join(
        [
            f'<p class="meta">data root {html.escape(data_root)} · split '
            f'{html.escape(split)} ({len(ids)} images, all evaluated) · {len(shown)} shown, '
            f'sorted by <b>{html.escape(sort)}</b> · per-class IoU (%) at each CAM folder\'s '
            'best background threshold</p>',
            table(
                ['method', 'kind', 'mIoU (%)', 'best bg threshold'],
                summary_rows,
                'summary',
                summary_attrs,
            ),
            table(
                ['image', 'ground truth'] + [s.name for s in sources], rows, 'gallery', row_attrs
            ),
        ]
    )
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    with atomic_path(out) as tmp, open(tmp, 'w', encoding='utf-8') as f:
        f.write(html_page(title, body))
    methods = {
        s.name: dict(
            kind=s.kind,
            miou=round(summary[s.name]['miou'], 2),
            threshold=summary[s.name]['threshold'],
        )
        for s in sources
    }
    return dict(
        out=osp.abspath(out),
        num_images=len(shown),
        split_images=len(ids),
        sort=sort,
        methods=methods,
    )
