"""CAM overlays for people to look at."""
import os

import cv2
import numpy as np

from .io import read_image


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


def save_cam_overlay(path: str, img_path: str, cams: np.ndarray) -> None:
    """Saves image | overlay side by side as a JPEG."""
    img = read_image(img_path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    cv2.imwrite(path, np.concatenate([img, cam_overlay(img, cams)], axis=1))
