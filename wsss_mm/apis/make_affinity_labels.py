"""Stage (4a): affinity labels (confident CAM regions) for AffinityNet training."""
from typing import Optional

import numpy as np
import torch
from mmengine.config import Config

from wsss_mm.refine.affinity_labels import affinity_labels
from wsss_mm.refine.crf import DenseCRF
from wsss_mm.refine.pseudo_labels import label_path, save_label_map
from wsss_mm.utils.io import read_mask

from .label_maps import label_maps_to_write, load_image_and_cams
from .parallel import parallel_map


class AffinityLabelWriter:
    """Writes the affinity label map of one image (picklable, for workers).

    Args:
        data_root (str): VOC-layout root of the images.
        cam_dir (str): folder of CAM files.
        out_dir (str): where ``<image_id>.png`` goes.
        fg_threshold, bg_threshold (float): see
            :func:`~wsss_mm.refine.affinity_labels.affinity_labels`.
        crf (DenseCRF, optional): CRF-refine the label maps.
        saliency_dir (str, optional): ``<image_id>.png`` grey saliency maps
            (0-255) giving the background.
        saliency_threshold (float): saliency (in [0, 1]) at or below it is
            background.
    """

    def __init__(self, data_root: str, cam_dir: str, out_dir: str, fg_threshold: float,
                 bg_threshold: float, crf: Optional[DenseCRF] = None,
                 saliency_dir: Optional[str] = None, saliency_threshold: float = 0.5) -> None:
        self.data_root, self.cam_dir, self.out_dir = data_root, cam_dir, out_dir
        self.fg_threshold, self.bg_threshold = fg_threshold, bg_threshold
        self.crf = crf
        self.saliency_dir, self.saliency_threshold = saliency_dir, saliency_threshold

    def __call__(self, img_id: str) -> None:
        image, cam = load_image_and_cams(self.data_root, self.cam_dir, img_id)
        saliency = None
        if self.saliency_dir is not None:
            saliency = read_mask(label_path(self.saliency_dir, img_id)) / np.float32(255)
        labels = affinity_labels(cam['keys'], torch.from_numpy(cam['cam']), self.fg_threshold,
                                 self.bg_threshold, self.crf, image, saliency,
                                 self.saliency_threshold)
        save_label_map(label_path(self.out_dir, img_id), labels)


def make_affinity_labels(cfg: Config,
                         cam_dir: str,
                         out_dir: str,
                         data_root: Optional[str] = None,
                         split: Optional[str] = None,
                         num_workers: Optional[int] = None) -> dict:
    """Writes ``OUT_DIR/<image_id>.png`` affinity labels for every image of a split.

    Images whose file exists are skipped (a killed run resumes); each file is
    written atomically.

    Args:
        cfg (Config): an AffinityNet config with ``affinity_labels``
            (``fg_threshold``, ``bg_threshold``, ``crf``, ``saliency_dir``,
            ``saliency_threshold``), ``crf`` (:class:`DenseCRF` arguments,
            used when ``affinity_labels.crf`` is true) and ``refine_workers``.
        cam_dir (str): folder of CAM files.
        out_dir (str): where the label maps go.
        data_root (str, optional): replaces ``cfg.data_root``.
        split (str, optional): split file (absolute or relative to the data
            root). Default: the AffinityNet training split.
        num_workers (int, optional): processes; default ``cfg.refine_workers``.

    Returns:
        dict: ``{'done': n written now, 'skipped': n already there, 'total': n}``.

    Raises:
        FileNotFoundError: CAM files are missing (the message names them).
        ImportError: the config asks for a CRF and pydensecrf2 is missing.
    """
    params = dict(cfg.affinity_labels)
    data_root, ids, todo = label_maps_to_write(cfg, cam_dir, out_dir, data_root, split)
    crf = DenseCRF(**cfg.crf) if params.pop('crf', False) else None
    writer = AffinityLabelWriter(data_root, cam_dir, out_dir, crf=crf, **params)
    workers = cfg.get('refine_workers', 1) if num_workers is None else num_workers
    for _ in parallel_map(writer, todo, workers, 'affinity labels'):
        pass
    return dict(done=len(todo), skipped=len(ids) - len(todo), total=len(ids))
