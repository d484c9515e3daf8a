"""From class scores to label maps, and the label-map file.

Scores of the present classes (CAMs, or CAMs after a random walk) become a
label map by adding a background channel and taking the argmax (IRN's
``eval_cam``, ``make_sem_seg_labels``). Pixels can be left out (255) where two
background thresholds disagree (IRN's ``cam_to_ir_label``).

The label-map file: ``<folder>/<image_id>.png``, a palette PNG ('P' mode)
of class ids (0 = background, 1..C, 255 = ignore), at the image's size,
written atomically (temporary file + rename). It is read back with
:func:`wsss_mm.utils.io.read_mask`.
"""

import os.path as osp
from typing import Optional, Sequence

import numpy as np
import torch
from PIL import Image

from wsss_mm.datasets.data_layout import VOC_LAYOUT
from wsss_mm.datasets.voc_layout import IGNORE_INDEX
from wsss_mm.utils.io import atomic_path

from .crf import DenseCRF

BACKGROUND_MODES = ('threshold', 'power')


def add_background(
    cams: torch.Tensor, mode: str = 'threshold', value: float = 0.25
) -> torch.Tensor:
    """Prepends a background score to the class scores.

    Args:
        cams (Tensor): (..., n, H, W) scores in [0, 1] of the n present classes
            (n may be 0).
        mode (str): ``'threshold'``: the constant ``value`` (IRN); ``'power'``:
            ``(1 - max_c cams_c) ** value`` (PSA's alpha).
        value (float): the threshold, or the power.

    Returns:
        Tensor: (..., n + 1, H, W), background first.

    Raises:
        ValueError: an unknown mode.
    """
    if mode not in BACKGROUND_MODES:
        raise ValueError(f'background mode must be one of {BACKGROUND_MODES}, got "{mode}"')
    shape = cams.shape[:-3] + (1,) + cams.shape[-2:]
    if mode == 'threshold':
        bg = cams.new_full(shape, value)
    elif cams.shape[-3] == 0:
        bg = cams.new_ones(shape)
    else:
        bg = (1 - cams.max(dim=-3, keepdim=True).values).clamp(min=0) ** value
    return torch.cat([bg, cams], dim=-3)


def scores_to_labels(
    keys: np.ndarray,
    scores: torch.Tensor,
    crf: Optional[DenseCRF] = None,
    image: Optional[np.ndarray] = None,
) -> np.ndarray:
    """The label map of one image: the argmax of background + class scores,
    optionally refined by a dense CRF.

    Args:
        keys (np.ndarray): (n,) class ids 1..C of the class channels.
        scores (Tensor): (n + 1, H, W) >= 0, background first.
        crf (DenseCRF, optional): refine the argmax with this CRF.
        image (np.ndarray, optional): (H, W, 3) uint8, needed with ``crf``.

    Returns:
        np.ndarray: (H, W) uint8 class ids (0 = background).
    """
    if crf is None:
        index = scores.argmax(0).cpu().numpy()
    else:
        if image is None:
            raise ValueError('a CRF needs the image')
        index = crf(image, scores.float().cpu().numpy())
    ids = np.concatenate([[0], np.asarray(keys, dtype=np.int64)])
    return ids[index].astype(np.uint8)


def seed_labels(
    keys: np.ndarray,
    cams: torch.Tensor,
    bg_mode: str = 'threshold',
    bg_value: float = 0.25,
    crf: Optional[DenseCRF] = None,
    image: Optional[np.ndarray] = None,
) -> np.ndarray:
    """:func:`scores_to_labels` of the CAMs with a background channel.

    Args:
        keys (np.ndarray): (n,) class ids 1..C of the CAM channels.
        cams (Tensor): (n, H, W) scores in [0, 1].
        bg_mode, bg_value: see :func:`add_background`.
        crf, image: see :func:`scores_to_labels`.

    Returns:
        np.ndarray: (H, W) uint8 class ids (0 = background).
    """
    return scores_to_labels(keys, add_background(cams.float(), bg_mode, bg_value), crf, image)


def confident_labels(
    keys: np.ndarray,
    cams: torch.Tensor,
    fg_threshold: float,
    bg_threshold: float,
    crf: Optional[DenseCRF] = None,
    image: Optional[np.ndarray] = None,
) -> np.ndarray:
    """Confident foreground and background, the rest ignored (IRN's
    ``cam_to_ir_label``, PSA's la/ha CRF labels).

    A pixel is labelled with its class where the labels at background
    threshold ``fg_threshold`` (high: only strong scores are foreground) say
    foreground, background where the labels at ``bg_threshold`` (low) say
    background too, and 255 between the two.

    Args:
        keys (np.ndarray): (n,) class ids 1..C.
        cams (Tensor): (n, H, W) scores in [0, 1].
        fg_threshold (float): background score of the confident-foreground map.
        bg_threshold (float): background score of the confident-background
            map, <= ``fg_threshold``. Equal thresholds ignore nothing.
        crf (DenseCRF, optional): refines each of the two label maps.
        image (np.ndarray, optional): (H, W, 3) uint8, needed with ``crf``.

    Returns:
        np.ndarray: (H, W) uint8 class ids, 255 = not confident.

    Raises:
        ValueError: ``bg_threshold > fg_threshold``.
    """
    if bg_threshold > fg_threshold:
        raise ValueError(
            f'bg_threshold ({bg_threshold}) must not exceed fg_threshold ({fg_threshold})'
        )
    fg = seed_labels(keys, cams, 'threshold', fg_threshold, crf, image)
    if bg_threshold == fg_threshold:
        return fg
    bg = seed_labels(keys, cams, 'threshold', bg_threshold, crf, image)
    return combine_confident(fg, bg == 0)


def combine_confident(fg: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """Label map of the confident regions.

    Args:
        fg (np.ndarray): (H, W) uint8 class ids of the confident-foreground map
            (0 where it is not foreground).
        bg (np.ndarray): (H, W) bool, confident background.

    Returns:
        np.ndarray: (H, W) uint8: ``fg`` where foreground, 0 where ``bg``
        (and not foreground), 255 elsewhere.
    """
    labels = fg.copy()
    labels[fg == 0] = IGNORE_INDEX
    labels[(fg == 0) & bg] = 0
    return labels


def label_path(folder: str, img_id: str) -> str:
    """``<folder>/<img_id>.png``."""
    return osp.join(folder, img_id + '.png')


def save_label_map(path: str, labels: np.ndarray, palette: Optional[Sequence[int]] = None) -> None:
    """Writes a label map as a palette PNG, atomically.

    Args:
        path (str): target ``.png`` path (folders are created).
        labels (np.ndarray): (H, W) integer class ids in 0..255.
        palette (Sequence[int], optional): the flat 768-entry palette
            (:meth:`~wsss_mm.datasets.data_layout.DataLayout.flat_palette` of
            the data root's layout). Default: VOC's.

    Raises:
        ValueError: not a 2-D map of values in 0..255.
    """
    labels = np.asarray(labels)
    if labels.ndim != 2 or labels.min(initial=0) < 0 or labels.max(initial=0) > 255:
        raise ValueError(
            f'{path}: a label map is (H, W) with values 0..255, got shape {labels.shape}'
        )
    img = Image.fromarray(labels.astype(np.uint8))  # 'L'; putpalette makes it 'P'
    img.putpalette(palette or VOC_LAYOUT.flat_palette())
    with atomic_path(path) as tmp:
        img.save(tmp, format='PNG')
