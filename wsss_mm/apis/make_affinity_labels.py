"""Stage (4a): affinity labels (confident CAM regions) for AffinityNet training."""

import os.path as osp
from functools import partial
from typing import Optional, Sequence, Tuple

import torch
from mmengine.config import Config

from wsss_mm.cams.saliency_file import check_saliency_dir, find_saliency_file, load_saliency_file
from wsss_mm.datasets.data_layout import detect_layout
from wsss_mm.refine.affinity_labels import affinity_labels
from wsss_mm.refine.crf import DenseCRF
from wsss_mm.refine.pseudo_labels import label_path, save_label_map
from wsss_mm.refine.thresholds import affinity_thresholds
from wsss_mm.utils.manifest import Overwrite, folder_identity, plan_resume, split_identity
from wsss_mm.utils.parallel import parallel_map

from .label_maps import load_image_and_cams, split_with_cams

THRESHOLD_RULES = ('seed', 'fixed')


class ConfidentLabelWriter:
    """Writes the label map of one image from its CAM file: confident
    foreground above ``fg_threshold``, confident background below
    ``bg_threshold``, 255 between (picklable, for workers). With equal
    thresholds nothing is ignored: the seeds (or walked scores) at that
    background threshold.

    Args:
        data_root (str): VOC- or COCO-layout root of the images (its layout
            gives the label maps' palette).
        cam_dir (str): folder of CAM files.
        out_dir (str): where ``<image_id>.png`` goes.
        fg_threshold, bg_threshold (float): see
            :func:`~wsss_mm.refine.affinity_labels.affinity_labels`.
        crf (DenseCRF, optional): CRF-refine the label maps.
        saliency_dir (str, optional): saliency maps giving the background:
            ``<image_id>.npz`` saliency files (``tools/infer_saliency.py``)
            or grey ``<image_id>.png`` images (0-255, e.g. PoolNet's).
        saliency_threshold (float): saliency (in [0, 1]) at or below it is
            background.
        allow_pickle (bool): read legacy pickled ``.npy`` CAM files
            (unpickling can run code from the file: only for files you made).
    """

    def __init__(
        self,
        data_root: str,
        cam_dir: str,
        out_dir: str,
        fg_threshold: float,
        bg_threshold: float,
        crf: Optional[DenseCRF] = None,
        saliency_dir: Optional[str] = None,
        saliency_threshold: float = 0.5,
        allow_pickle: bool = False,
    ) -> None:
        self.data_root, self.cam_dir, self.out_dir = data_root, cam_dir, out_dir
        self.fg_threshold, self.bg_threshold = fg_threshold, bg_threshold
        self.crf = crf
        self.saliency_dir, self.saliency_threshold = saliency_dir, saliency_threshold
        self.allow_pickle = allow_pickle
        self.palette = detect_layout(data_root).flat_palette()

    def recipe(self) -> dict:
        """What makes the label maps: the inputs' identities (the data root, the
        CAM folder, the saliency folder) and the thresholds and CRF
        (:mod:`wsss_mm.utils.manifest`)."""
        return dict(
            data_root=osp.abspath(self.data_root),
            cams=folder_identity(self.cam_dir),
            fg_threshold=self.fg_threshold,
            bg_threshold=self.bg_threshold,
            crf=self.crf and vars(self.crf),
            saliency=folder_identity(self.saliency_dir),
            saliency_threshold=self.saliency_dir and self.saliency_threshold,
        )

    def __call__(self, img_id: str) -> None:
        image, cam = load_image_and_cams(self.data_root, self.cam_dir, img_id, self.allow_pickle)
        saliency = None
        if self.saliency_dir is not None:
            saliency = load_saliency_file(find_saliency_file(self.saliency_dir, img_id))
        labels = affinity_labels(
            cam['keys'],
            torch.from_numpy(cam['cam']),
            self.fg_threshold,
            self.bg_threshold,
            self.crf,
            image,
            saliency,
            self.saliency_threshold,
        )
        save_label_map(label_path(self.out_dir, img_id), labels, self.palette)


def write_label_maps(
    writer: ConfidentLabelWriter,
    img_ids: Sequence[str],
    num_workers: int,
    desc: str,
    overwrite: Overwrite = False,
    split_file: Optional[str] = None,
) -> dict:
    """Runs ``writer`` in ``num_workers`` processes over the images whose
    ``<writer.out_dir>/<image_id>.png`` is still to write: the folder is
    claimed for the writer's recipe (:meth:`ConfidentLabelWriter.recipe`,
    ``desc`` as the stage, the split), so a killed run resumes, files that are
    not whole are written again, and a folder made by another recipe is
    refused unless ``overwrite`` (:func:`~wsss_mm.utils.manifest.plan_resume`).

    Args:
        writer (ConfidentLabelWriter): writes one image's label map.
        img_ids (Sequence[str]): the split's images.
        num_workers (int): processes.
        desc (str): what the label maps are (``'affinity labels'``, ...).
        overwrite (bool | str): see :func:`~wsss_mm.apis.infer_cams.infer_cams`.
        split_file (str, optional): the file ``img_ids`` come from.

    Returns:
        dict: ``{'done', 'skipped', 'total', 'unreadable'}``
        (:meth:`~wsss_mm.utils.manifest.ResumePlan.summary`).

    Raises:
        RecipeMismatchError: the folder was made by another recipe.
    """
    recipe = dict(writer.recipe(), stage=desc, split=split_identity(img_ids, split_file))
    path_of = partial(label_path, writer.out_dir)
    plan = plan_resume(writer.out_dir, recipe, img_ids, path_of, overwrite)
    for _ in parallel_map(writer, plan.todo, num_workers, desc):
        pass
    return plan.summary()


def resolve_affinity_thresholds(
    cfg: Config, seed_threshold: Optional[float] = None
) -> Tuple[float, float]:
    """The affinity labels' ``(fg_threshold, bg_threshold)`` under the
    config's ``refine_thresholds.affinity`` rule.

    - ``'seed'``: from the seeds' best background threshold through
      ``refine_thresholds.fg_ratio`` / ``bg_ratio`` (IRN's 2 and 1/3, see
      :func:`~wsss_mm.refine.thresholds.affinity_thresholds`).
    - ``'fixed'`` (also when the config has no ``refine_thresholds``):
      ``affinity_labels.fg_threshold`` / ``bg_threshold`` as given.

    Raises:
        ValueError: an unknown rule, or the rule ``'seed'`` without a seed
            threshold (the message says how to give one).
    """
    rule = dict(cfg.get('refine_thresholds', {}))
    mode = rule.get('affinity', 'fixed')
    if mode not in THRESHOLD_RULES:
        raise ValueError(
            f'refine_thresholds.affinity must be one of {THRESHOLD_RULES}, got "{mode}"'
        )
    if mode == 'fixed':
        return cfg.affinity_labels.fg_threshold, cfg.affinity_labels.bg_threshold
    if seed_threshold is None:
        raise ValueError(
            "refine_thresholds.affinity='seed' derives the affinity thresholds "
            'from the seeds\' best background threshold: pass it (the '
            '"threshold" of tools/eval_cams.py, --seed-threshold of '
            "tools/make_affinity_labels.py) or set refine_thresholds.affinity="
            "'fixed' to use affinity_labels.fg_threshold / bg_threshold"
        )
    ratios = {k: rule[k] for k in ('fg_ratio', 'bg_ratio') if k in rule}
    return affinity_thresholds(seed_threshold, **ratios)


def make_affinity_labels(
    cfg: Config,
    cam_dir: str,
    out_dir: str,
    data_root: Optional[str] = None,
    split: Optional[str] = None,
    num_workers: Optional[int] = None,
    seed_threshold: Optional[float] = None,
    allow_pickle: bool = False,
    saliency_dir: Optional[str] = None,
    overwrite: Overwrite = False,
) -> dict:
    """Writes ``OUT_DIR/<image_id>.png`` affinity labels for every image of a split.

    ``OUT_DIR/.recipe.json`` records what makes them (:func:`write_label_maps`);
    a rerun of the same recipe skips the images whose file is there and whole
    (a killed run resumes), another recipe is refused unless ``overwrite``.
    Each file is written atomically.

    Args:
        cfg (Config): an AffinityNet config with ``affinity_labels``
            (``fg_threshold``, ``bg_threshold``, ``crf``, ``saliency_dir``:
            None or a folder of saliency maps, then the background comes from
            them; ``saliency_threshold``), ``crf`` (:class:`DenseCRF` arguments,
            used when ``affinity_labels.crf`` is true), ``refine_workers``
            and optionally ``refine_thresholds`` (see
            :func:`resolve_affinity_thresholds`).
        cam_dir (str): folder of CAM files.
        out_dir (str): where the label maps go.
        data_root (str, optional): replaces ``cfg.data_root``.
        split (str, optional): split file (absolute or relative to the data
            root). Default: the AffinityNet training split.
        num_workers (int, optional): processes; default ``cfg.refine_workers``.
        seed_threshold (float, optional): the seeds' best background
            threshold, for the rule ``refine_thresholds.affinity='seed'``.
        allow_pickle (bool): read legacy pickled ``<image_id>.npy`` CAM files
            (unpickling can run code from the file: only for files you made).
        saliency_dir (str, optional): replaces ``affinity_labels.saliency_dir``
            (the background from saliency maps, P-NOC's C²AM-H guidance).
        overwrite (bool | str): see :func:`~wsss_mm.apis.infer_cams.infer_cams`.

    Returns:
        dict: ``{'done': n written now, 'skipped': n already there, 'total': n,
        'unreadable': n of the written that replaced a file that was not whole,
        'fg_threshold': .., 'bg_threshold': ..}``.

    Raises:
        FileNotFoundError: CAM or saliency files are missing (the message
            names them).
        PickledCAMFileError: legacy ``.npy`` CAM files without ``allow_pickle``.
        ImportError: the config asks for a CRF and pydensecrf2 is missing.
        ValueError: see :func:`resolve_affinity_thresholds`.
        RecipeMismatchError: ``out_dir`` was made by another recipe.
    """
    params = dict(cfg.affinity_labels)
    params['fg_threshold'], params['bg_threshold'] = resolve_affinity_thresholds(
        cfg, seed_threshold
    )
    if saliency_dir is not None:
        params['saliency_dir'] = saliency_dir
    data_root, split_file, ids = split_with_cams(cfg, cam_dir, data_root, split, allow_pickle)
    if params.get('saliency_dir') is not None:
        check_saliency_dir(params['saliency_dir'], ids)
    crf = DenseCRF(**cfg.crf) if params.pop('crf', False) else None
    writer = ConfidentLabelWriter(
        data_root, cam_dir, out_dir, crf=crf, allow_pickle=allow_pickle, **params
    )
    workers = cfg.get('refine_workers', 1) if num_workers is None else num_workers
    summary = write_label_maps(writer, ids, workers, 'affinity labels', overwrite, split_file)
    return dict(summary, fg_threshold=params['fg_threshold'], bg_threshold=params['bg_threshold'])
