"""Stage (3): seed quality of a folder of CAM files against ground-truth masks."""

import os.path as osp
from concurrent.futures import ThreadPoolExecutor
from typing import Optional, Sequence

import numpy as np
import torch
from prettytable import PrettyTable

from wsss_mm.datasets.data_layout import detect_layout
from wsss_mm.evaluation import ThresholdSweep, evaluate_label_maps, gt_mask_dirs, load_pair
from wsss_mm.evaluation.seed_miou import DEFAULT_THRESHOLDS
from wsss_mm.refine.crf import DenseCRF
from wsss_mm.refine.pseudo_labels import label_path, save_label_map, seed_labels
from wsss_mm.utils.io import read_split
from wsss_mm.utils.manifest import claim_folder, folder_identity, split_identity
from wsss_mm.utils.progress import progress

from .config_utils import resolve_split
from .label_maps import ReadCAMFile, check_cam_dir, load_image_and_cams


def eval_cams(
    cam_dir: str,
    data_root: str,
    split: Optional[str] = None,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    class_names: Optional[Sequence[str]] = None,
    num_threads: int = 4,
    crf: Optional[dict] = None,
    num_workers: int = 2,
    allow_pickle: bool = False,
) -> dict:
    """Background-threshold sweep of the seeds, and of the uniform-map floor;
    optionally the seeds at the best threshold refined by a dense CRF.

    The floor gives every present class a constant map (the labels alone,
    with no localisation), swept over the same thresholds.

    Args:
        cam_dir (str): folder of ``<image_id>.npz`` CAM files.
        data_root (str): VOC- or COCO-layout root holding the masks.
        split (str, optional): split file, absolute or relative to the data
            root. Default: the layout's train split
            (``ImageSets/Segmentation/train.txt``, COCO's ``train.txt``).
        thresholds (Sequence[float]): increasing background thresholds.
        class_names (Sequence[str], optional): K names, background first.
            Default: those of the root's layout (21 VOC, 81 COCO).
        crf (dict, optional): :class:`DenseCRF` arguments; evaluate the
            CRF-refined seeds too (needs pydensecrf2).
        num_workers (int): processes of the CRF evaluation.
        allow_pickle (bool): read legacy pickled ``<image_id>.npy`` CAM files
            (unpickling can run code from the file: only for files you made).

    Returns:
        dict: ``cams`` and ``floor sweep results (see
        :meth:`ThresholdSweep.result`), with ``crf`` the result of
        :func:`eval_crf_seeds`; ``class_names`` and ``num_images``.
    """
    if not osp.isdir(data_root):
        raise FileNotFoundError(f'data root not found: {data_root}')
    layout = detect_layout(data_root)
    class_names = class_names or layout.classes
    ids = read_split(resolve_split(split or layout.train_split, data_root))
    check_cam_dir(cam_dir, ids, allow_pickle)
    mask_dirs = gt_mask_dirs(data_root)
    read_cams = ReadCAMFile(cam_dir, allow_pickle)
    sweep = ThresholdSweep(thresholds, len(class_names))
    floor = ThresholdSweep(thresholds, len(class_names))
    with ThreadPoolExecutor(num_threads) as pool:
        pairs = pool.map(
            lambda i: load_pair(i, mask_dirs, read_cams, read_cams.size, read_cams.what), ids
        )
        for gt, cam in progress(pairs, total=len(ids), desc='eval CAMs'):
            sweep.update(gt, cam['keys'], cam['cam'])
            floor.update(gt, cam['keys'], np.ones_like(cam['cam']))
    result = dict(
        cams=sweep.result(),
        floor=floor.result(),
        class_names=list(class_names),
        num_images=len(ids),
    )
    if crf is not None:
        result['crf'] = eval_crf_seeds(
            cam_dir,
            data_root,
            ids,
            result['cams']['threshold'],
            DenseCRF(**crf),
            class_names,
            num_workers,
            allow_pickle,
        )
    return result


class CRFSeeds:
    """Predictor: the seeds of one image at a background threshold, refined
    by a dense CRF (picklable, for worker processes); with ``out_dir`` each
    label map is also written there as ``<image_id>.png`` (the data root's
    palette)."""

    def __init__(
        self,
        data_root: str,
        cam_dir: str,
        threshold: float,
        crf: DenseCRF,
        allow_pickle: bool = False,
        out_dir: Optional[str] = None,
    ) -> None:
        self.data_root, self.cam_dir = data_root, cam_dir
        self.threshold, self.crf = threshold, crf
        self.allow_pickle = allow_pickle
        self.out_dir = out_dir
        self.palette = detect_layout(data_root).flat_palette() if out_dir else None

    def __call__(self, img_id: str) -> np.ndarray:
        image, cam = load_image_and_cams(self.data_root, self.cam_dir, img_id, self.allow_pickle)
        labels = seed_labels(
            cam['keys'], torch.from_numpy(cam['cam']), 'threshold', self.threshold, self.crf, image
        )
        if self.out_dir:
            save_label_map(label_path(self.out_dir, img_id), labels, self.palette)
        return labels


def eval_crf_seeds(
    cam_dir: str,
    data_root: str,
    img_ids: Sequence[str],
    threshold: float,
    crf: DenseCRF,
    class_names: Optional[Sequence[str]] = None,
    num_workers: int = 2,
    allow_pickle: bool = False,
    out_dir: Optional[str] = None,
) -> dict:
    """mIoU of the CRF-refined seeds ("+CRF" of AdvCAM's Table 1).

    Args:
        cam_dir (str): folder of CAM files.
        data_root (str): VOC- or COCO-layout root of the images and masks.
        img_ids (Sequence[str]): the images.
        threshold (float): background threshold of the seeds.
        crf (DenseCRF): the CRF.
        class_names (Sequence[str], optional): K names, background first
            (default: the root's layout's).
        num_workers (int): processes.
        allow_pickle (bool): read legacy pickled ``.npy`` CAM files.
        out_dir (str, optional): also write the refined seeds there
            (``<image_id>.png``, e.g. for the gallery), every one again, with
            the folder's recipe record (:mod:`wsss_mm.utils.manifest`).

    Returns:
        dict: :func:`~wsss_mm.evaluation.evaluate_label_maps`'s result
        plus ``threshold``.
    """
    if out_dir:
        recipe = dict(
            stage='crf_seeds',
            data_root=osp.abspath(data_root),
            cams=folder_identity(cam_dir),
            threshold=threshold,
            crf=vars(crf),
            split=split_identity(img_ids),
        )
        claim_folder(out_dir, recipe, overwrite=True)
    seeds = CRFSeeds(data_root, cam_dir, threshold, crf, allow_pickle, out_dir)
    result = evaluate_label_maps(
        seeds, img_ids, data_root, class_names, num_workers, desc='eval CAMs + CRF'
    )
    return dict(result, threshold=threshold)


def format_table(result: dict) -> str:
    """Per-class IoU (%) of the seeds and of the floor at their best thresholds
    (and of the CRF-refined seeds when evaluated)."""
    columns = [('CAM', result['cams']), ('floor', result['floor'])]
    if 'crf' in result:
        columns.insert(1, ('+CRF', result['crf']))
    table = PrettyTable(['class'] + [name for name, _ in columns], align='r')
    table.align['class'] = 'l'
    names = result['class_names']
    for i, name in enumerate(names):
        table.add_row(
            [name] + [f'{r["class_iou"][i]:.2f}' for _, r in columns],
            divider=i == len(names) - 1,
        )
    table.add_row(['mIoU'] + [f'{r["miou"]:.2f}' for _, r in columns])
    table.add_row(['bg threshold'] + [f'{r["threshold"]:.2f}' for _, r in columns])
    return f'{table.get_string()}\nimages: {result["num_images"]}'
