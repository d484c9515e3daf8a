"""Training on label maps (AffinityNet on affinity labels, DeepLab on pseudo
masks) and testing with multi-scale + flip test-time augmentation."""

import os.path as osp
from typing import Optional

from mmengine.config import Config

from .config_utils import iter_datasets
from .train import build_runner


def set_label_dir(cfg: Config, label_dir: str, split: Optional[str] = None) -> None:
    """Points every ``PseudoMaskDataset`` of the training dataloader at ``label_dir``
    (and at the images of ``split``, a split file relative to the data root).

    Raises:
        KeyError: the training dataloader has no dataset with a ``mask_dir``.
    """
    datasets = [d for d in iter_datasets(cfg.train_dataloader.dataset) if 'mask_dir' in d]
    if not datasets:
        raise KeyError(
            'the training dataloader has no dataset with a `mask_dir` (use '
            "type='PseudoMaskDataset' to train on label maps)"
        )
    for dataset in datasets:
        dataset['mask_dir'] = osp.abspath(label_dir)
        if split is not None:
            dataset['ann_file'] = split


def init_backbone_from(cfg: Config, checkpoint: str, prefix: str = 'backbone.') -> None:
    """Initialises ``cfg.model.backbone`` from the weights of ``checkpoint``
    (e.g. the trained CAM network) under ``prefix`` (``'generator.backbone.'``
    for the generator of OC-CSE / P-OC / P-NOC)."""
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'backbone checkpoint not found: {checkpoint}')
    cfg.model.backbone.init_cfg = dict(type='Pretrained', checkpoint=checkpoint, prefix=prefix)


def enable_tta(cfg: Config) -> None:
    """Multi-scale + flip testing the MMSegmentation way (``tools/test.py --tta``):
    the test pipeline becomes ``cfg.tta_pipeline`` (``TestTimeAug``) and the
    model is wrapped in ``cfg.tta_model`` (``SegTTAModel``).

    Raises:
        KeyError: the config has no ``tta_model`` or ``tta_pipeline``.
    """
    missing = [k for k in ('tta_model', 'tta_pipeline') if k not in cfg]
    if missing:
        raise KeyError(
            f'the config defines no {missing}, needed for multi-scale + flip '
            'testing (see configs/deeplab/)'
        )
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    cfg.tta_model.module = cfg.model
    cfg.model = cfg.tta_model


def last_checkpoint(work_dir: str) -> str:
    """The checkpoint named in ``WORK_DIR/last_checkpoint`` (MMEngine's record)."""
    record = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(record):
        raise FileNotFoundError(f'no checkpoint was saved in {work_dir}')
    with open(record) as f:
        return f.read().strip()


def train_on_label_maps(
    cfg: Config,
    label_dir: str,
    work_dir: str,
    data_root: Optional[str] = None,
    split: Optional[str] = None,
    backbone_checkpoint: Optional[str] = None,
    backbone_prefix: str = 'backbone.',
) -> str:
    """Trains ``cfg.model`` on the label maps of ``label_dir``.

    Args:
        cfg (Config): a config whose training dataset is a ``PseudoMaskDataset``.
        label_dir (str): the label maps (``<image_id>.png``).
        work_dir (str): logs and checkpoints.
        data_root (str, optional): overrides every dataloader's data root.
        split (str, optional): training images (split file relative to the
            data root) replacing the config's.
        backbone_checkpoint (str, optional): initialise the backbone from it.
        backbone_prefix (str): the backbone's weights in it.

    Returns:
        str: the last checkpoint.
    """
    set_label_dir(cfg, label_dir, split)
    if backbone_checkpoint is not None:
        init_backbone_from(cfg, backbone_checkpoint, backbone_prefix)
    build_runner(cfg, work_dir=work_dir, data_root=data_root).train()
    return last_checkpoint(work_dir)


def test_segmentor(
    cfg: Config,
    checkpoint: str,
    work_dir: str,
    data_root: Optional[str] = None,
    tta: bool = True,
    pred_dir: Optional[str] = None,
) -> dict:
    """Runs the test loop of ``cfg`` (e.g. ``mmseg.IoUMetric`` on val).

    Args:
        cfg (Config): a segmentation config.
        checkpoint (str): trained weights.
        work_dir (str): logs.
        data_root (str, optional): overrides every dataloader's data root.
        tta (bool): multi-scale + flip (:func:`enable_tta`).
        pred_dir (str, optional): the evaluator also writes each prediction
            there as ``<image_id>.png`` of class ids (mmseg's ``IoUMetric``
            ``output_dir``).

    Returns:
        dict: the evaluator's metrics, e.g. ``{'aAcc', 'mIoU', 'mAcc'}``.
    """
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
    if tta:
        enable_tta(cfg)
    cfg.load_from = checkpoint
    if pred_dir is not None:
        cfg.test_evaluator['output_dir'] = pred_dir
    return build_runner(cfg, work_dir=work_dir, data_root=data_root).test()
