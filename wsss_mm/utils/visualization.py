"""CAM overlays for people to look at: the image, then each class's map as a
jet heat map under the class name, and a colour bar of the maps' 0..1 scale;
label maps in palette colours. Used by ``tools/infer_cams.py --vis-dir``, the
CAM gallery (:mod:`wsss_mm.apis.cam_gallery`) and ``CAMVisualizationHook``."""

import os
from typing import Optional, Sequence

import cv2
import numpy as np
import torch
from mmengine.visualization import Visualizer

from .io import read_image

#: pixels the colour bar and its 0 / 1 labels add to the right of an overlay
BAR_WIDTH = 40
_BAR = (6, 20)  # the bar's columns within those pixels: jet from 1 (top) to 0 (bottom)


def cam_overlay(img: np.ndarray, cams: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """Blends the per-pixel maximum of the maps, as a jet heat map, over an image.

    Args:
        img (np.ndarray): (H, W, 3) uint8 BGR.
        cams (np.ndarray): (n, H, W) in [0, 1] (n may be 0).

    Returns:
        np.ndarray: (H, W, 3) uint8 BGR.
    """
    heat = cams.max(0) if len(cams) else np.zeros(img.shape[:2], np.float32)
    heat = cv2.applyColorMap((heat.clip(0, 1) * 255).astype(np.uint8), cv2.COLORMAP_JET)
    return cv2.addWeighted(img, 1 - alpha, heat, alpha, 0)


def heat_overlay(img: np.ndarray, cam: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """One map as a jet heat map over an image (MMEngine's ``draw_featmap``),
    0 blue and 1 red whatever the map's own range.

    Args:
        img (np.ndarray): (H, W, 3) uint8 RGB.
        cam (np.ndarray): (H, W), clipped to [0, 1].

    Returns:
        np.ndarray: (H, W, 3) uint8 RGB.
    """
    height = cam.shape[0]
    # draw_featmap scales a map from its min to its max: two extra rows pinned
    # at 0 and 1 make that 0..1; they are cut off again
    pinned = np.concatenate([cam.clip(0, 1), np.zeros_like(cam[:1]), np.ones_like(cam[:1])])
    padded = np.concatenate([img, img[-2:]])
    heat = Visualizer.draw_featmap(
        torch.from_numpy(pinned.astype(np.float32))[None], padded, alpha=alpha
    )
    return heat[:height]


def colour_bar(height: int) -> np.ndarray:
    """A white (height, BAR_WIDTH, 3) uint8 RGB strip with a jet bar from 1
    at the top to 0 at the bottom (labels drawn by :func:`save_cam_overlay`)."""
    bar = np.full((height, BAR_WIDTH, 3), 255, np.uint8)
    scale = np.linspace(255, 0, height).astype(np.uint8)[:, None]
    jet = cv2.applyColorMap(scale, cv2.COLORMAP_JET)[:, :, ::-1]  # (height, 1, 3) RGB
    bar[:, _BAR[0] : _BAR[1]] = jet
    return bar


def colourise_mask(mask: np.ndarray, flat_palette: Sequence[int]) -> np.ndarray:
    """A label map in palette colours.

    Args:
        mask (np.ndarray): (H, W) uint8 class ids (255 = ignore).
        flat_palette (Sequence[int]): 768 entries, RGB of ids 0..255
            (:meth:`wsss_mm.datasets.data_layout.DataLayout.flat_palette`).

    Returns:
        np.ndarray: (H, W, 3) uint8 RGB.
    """
    table = np.zeros((256, 3), np.uint8)
    flat = np.asarray(flat_palette, np.uint8)[: 768 - 768 % 3].reshape(-1, 3)
    table[: len(flat)] = flat
    return table[mask.astype(np.uint8)]


def class_name(class_id: int, class_names: Optional[Sequence[str]]) -> str:
    """The name of a class id (0 = background), ``class <id>`` without one."""
    names = class_names or ()
    return names[class_id] if 0 <= class_id < len(names) else f'class {class_id}'


def cam_overlay_panel(
    img: np.ndarray,
    cams: np.ndarray,
    labels: Optional[Sequence[int]] = None,
    class_names: Optional[Sequence[str]] = None,
) -> np.ndarray:
    """The image, then each map as a heat map under its class name (or,
    without ``labels``, the per-pixel maximum of the maps), then a colour bar
    of the 0..1 scale. The names are drawn by MMEngine's
    ``Visualizer.draw_texts`` in a white strip above the panels.

    Args:
        img (np.ndarray): (H, W, 3) uint8 RGB.
        cams (np.ndarray): (n, H, W) maps in [0, 1], the image's size.
        labels (Sequence[int], optional): the class id (1..C) of each map.
        class_names (Sequence[str], optional): names by class id (0 =
            background; the dataset's ``metainfo['classes']``); a map whose
            id has no name is called ``class <id>``.

    Returns:
        np.ndarray: (strip + H, (n + 1) * W + BAR_WIDTH, 3) uint8 RGB.

    Raises:
        ValueError: ``labels`` and ``cams`` differ in length.
    """
    height, width = img.shape[:2]
    if labels is None:
        heat = cams.max(0) if len(cams) else np.zeros((height, width), np.float32)
        maps, names = [heat], ['max of the maps']
    else:
        if len(labels) != len(cams):
            raise ValueError(f'{len(cams)} maps but {len(labels)} labels')
        maps = list(cams)
        names = [class_name(k, class_names) for k in map(int, labels)]
    panels = np.concatenate(
        [img] + [heat_overlay(img, m) for m in maps] + [colour_bar(height)], axis=1
    )
    strip = max(14, height // 12)
    canvas = np.full((strip + height, panels.shape[1], 3), 255, np.uint8)
    canvas[strip:] = panels

    vis = Visualizer(name='cam_overlay')
    vis.set_image(canvas)
    px_per_pt = vis.fig_save.get_dpi() / 72
    texts = ['image'] + names + ['1', '0']
    positions = [[i * width + 2, 1] for i in range(len(names) + 1)]
    positions += [
        [(len(names) + 1) * width + _BAR[1] + 2, strip],
        [(len(names) + 1) * width + _BAR[1] + 2, strip + height - 1],
    ]
    # as large as the strip allows, shrunk to fit a panel's width
    sizes = [min(0.7 * strip, 1.6 * (width - 4) / max(len(t), 1)) / px_per_pt for t in texts]
    vis.draw_texts(
        texts,
        np.array(positions),
        font_sizes=sizes,
        colors='black',
        vertical_alignments=['top'] * (len(texts) - 1) + ['bottom'],
    )
    return vis.get_image()


def save_cam_overlay(
    path: str,
    img_path: str,
    cams: np.ndarray,
    labels: Optional[Sequence[int]] = None,
    class_names: Optional[Sequence[str]] = None,
) -> None:
    """Saves :func:`cam_overlay_panel` of an image file as a JPEG.

    Args:
        path (str): the JPEG to write.
        img_path (str): the image.
        cams (np.ndarray): (n, H, W) maps in [0, 1], the image's size.
        labels (Sequence[int], optional): the class id (1..C) of each map.
        class_names (Sequence[str], optional): names by class id (0 =
            background).

    Raises:
        ValueError: ``labels`` and ``cams`` differ in length.
    """
    img = read_image(img_path)[:, :, ::-1].copy()  # RGB for MMEngine
    canvas = cam_overlay_panel(img, cams, labels, class_names)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    cv2.imwrite(path, canvas[:, :, ::-1])
