"""Stage (3): seed quality of a folder of CAM files against ground-truth masks."""
import os.path as osp
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
from wsss_mm.utils.progress import progress

from wsss_mm.cams.cam_file import cam_path, load_cam_file, missing_cam_files
from wsss_mm.datasets.voc_layout import MASK_DIRS, VOC_CLASSES, find_mask
from wsss_mm.evaluation import ThresholdSweep
from wsss_mm.utils.io import read_mask, read_split

from .config_utils import resolve_split

DEFAULT_SPLIT = 'ImageSets/Segmentation/train.txt'


def load_pair(cam_dir: str, mask_dirs: Sequence[str],
              img_id: str) -> Tuple[np.ndarray, Dict[str, np.ndarray]]:
    """Reads one image's mask and CAM file and checks that their sizes agree."""
    mask_path = find_mask(mask_dirs, img_id)
    if mask_path is None:
        raise FileNotFoundError(f'no ground-truth mask for {img_id} in {list(mask_dirs)}')
    gt = read_mask(mask_path)
    cam = load_cam_file(cam_path(cam_dir, img_id))
    if cam['cam'].shape[1:] != gt.shape:
        raise ValueError(f'{cam_path(cam_dir, img_id)}: CAM size {cam["cam"].shape[1:]} '
                         f'differs from mask {mask_path} size {gt.shape}')
    return gt, cam


def eval_cams(cam_dir: str,
              data_root: str,
              split: Optional[str] = None,
              thresholds: Sequence[float] = tuple(np.arange(0.05, 0.96, 0.05)),
              class_names: Sequence[str] = VOC_CLASSES,
              num_threads: int = 4) -> dict:
    """Background-threshold sweep of the seeds, and of the uniform-map floor.

    The floor gives every present class a constant map (the labels alone,
    with no localisation), swept over the same thresholds.

    Args:
        cam_dir (str): folder of ``<image_id>.npy`` CAM files.
        data_root (str): VOC-layout root holding the masks.
        split (str, optional): split file, absolute or relative to the data
            root. Default: ``ImageSets/Segmentation/train.txt``.
        thresholds (Sequence[float]): increasing background thresholds.

    Returns:
        dict: ``cams`` and ``floor`` sweep results (see
        :meth:`ThresholdSweep.result`), ``class_names`` and ``num_images``.
    """
    if not osp.isdir(cam_dir):
        raise FileNotFoundError(f'CAM folder not found: {cam_dir}')
    if not osp.isdir(data_root):
        raise FileNotFoundError(f'data root not found: {data_root}')
    split = split or DEFAULT_SPLIT
    ids = read_split(resolve_split(split, data_root))
    missing = missing_cam_files(cam_dir, ids)
    if missing:
        raise FileNotFoundError(
            f'{len(missing)} of {len(ids)} images of the split have no CAM file in '
            f'{cam_dir}, e.g. {missing[:5]}; run tools/infer_cams.py first')
    mask_dirs = [osp.join(data_root, d) for d in MASK_DIRS]
    sweep = ThresholdSweep(thresholds, len(class_names))
    floor = ThresholdSweep(thresholds, len(class_names))
    with ThreadPoolExecutor(num_threads) as pool:
        pairs = pool.map(lambda i: load_pair(cam_dir, mask_dirs, i), ids)
        for gt, cam in progress(pairs, total=len(ids), desc='eval CAMs'):
            sweep.update(gt, cam['keys'], cam['cam'])
            floor.update(gt, cam['keys'], np.ones_like(cam['cam']))
    return dict(cams=sweep.result(), floor=floor.result(),
                class_names=list(class_names), num_images=len(ids))


def format_table(result: dict) -> str:
    """Per-class IoU (%) of the seeds and of the floor at their best thresholds."""
    cams, floor = result['cams'], result['floor']
    lines = [f'{"class":<14}{"CAM":>8}{"floor":>8}', '-' * 30]
    for name, a, b in zip(result['class_names'], cams['class_iou'], floor['class_iou']):
        lines.append(f'{name:<14}{a:>8.2f}{b:>8.2f}')
    lines += ['-' * 30, f'{"mIoU":<14}{cams["miou"]:>8.2f}{floor["miou"]:>8.2f}',
              f'{"bg threshold":<14}{cams["threshold"]:>8.2f}{floor["threshold"]:>8.2f}',
              f'images: {result["num_images"]}']
    return '\n'.join(lines)
