"""The WSSS pipeline as small resumable stages (IRN's ``run_sample.py`` shape).

Each stage is a function ``stage(ctx) -> dict`` whose result is written to
``WORK_DIR/stages/<name>.json`` when it finishes; a rerun skips every stage
whose file exists, so a killed pipeline resumes where it stopped. A stage
that returns ``{'unavailable': reason, ...}`` (the CRF evaluation without
pydensecrf2) is not recorded, so it runs again once it can.

The work dir records its recipe in ``WORK_DIR/.recipe.json``
(:mod:`wsss_mm.utils.manifest`): the resolved CAM network config and
sub-configs (``--cfg-options`` applied; keys that only change how a run goes,
such as worker counts and logging, left out: :data:`RUN_ONLY_KEYS`), the CAM
method, the data root and ``auto_refine``. A rerun with another recipe is
refused, naming the keys that differ, unless ``overwrite``: then the stage
records are forgotten and every stage runs again. Each per-image stage's
folder records its own recipe too (checkpoints, input folders, thresholds);
a stage that runs keeps the files of a folder whose recipe is its own and
remakes the folder otherwise.

The CAM stages need only the CAM network config. The refinement and
segmentation stages need its ``pipeline`` section::

    pipeline = dict(
        affinity_config='affinity_synthvoc.py',  # AffinityNet + refinement settings
        seg_config='deeplab_synthvoc.py',        # segmentation network on pseudo masks
        saliency_config=None,    # e.g. 'c2am_synthvoc_hints.py': C²AM-H on this run's CAMs,
                                 # whose maps then give the affinity labels' background
        init_from_cam=True,      # both backbones start from the trained CAM network
        cams_from_training=None,  # e.g. 'group_cams': the seeds are the CAM files that the
                                 # CAM network's training wrote in that folder of its work
                                 # dir (Group-WSSS's GroupCAMAccumulationHook), not inferred
        affinity_options=dict(),  # merged into the affinity config
        seg_options=dict())       # merged into the segmentation config

with the two config paths relative to the pipeline config's folder.

Work dir layout: ``aux/<name>/`` (auxiliary networks, e.g. OC-CSE's ordinary
classifier), ``cam/`` (CAM network), ``cam_val/`` (its test logs: val mAP),
``cams/`` (CAM files), ``saliency_net/`` and
``saliency/`` (with ``saliency_config``),
``aff_labels/``, ``affinity/`` (AffinityNet), ``walked/`` (walked scores as
CAM files), ``pseudo_masks/<image_id>.png``, ``seed_masks/`` (when
``auto_refine`` picks the seeds), ``crf_seeds/`` (the CRF-refined seeds of
``eval_crf``), ``seg/`` (segmentation network and its test logs),
``seg_preds/<image_id>.png`` (its test predictions), ``stages/<name>.json``,
``gallery.html``, ``gallery_val.html`` and ``seg_preds.txt`` (:func:`write_gallery`).
Each Runner logs to ``<its dir>/<timestamp>/<timestamp>.log``; quiet runs put third-party warnings
raised outside a Runner into ``pipeline.log``.
"""

import glob
import json
import os
import os.path as osp
import shutil
import sys
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config

from wsss_mm.cams.cam_file import cam_path, missing_cam_files
from wsss_mm.evaluation import eval_label_dir, has_ground_truth
from wsss_mm.refine.crf import INSTALL_HINT, DenseCRF, crf_available
from wsss_mm.utils.io import atomic_path, read_split
from wsss_mm.utils.manifest import IF_STALE, canonical, claim_folder, flatten
from wsss_mm.utils.quiet import quiet_console

from .cam_gallery import GallerySource, build_gallery
from .config_utils import resolve_split
from .eval_cams import eval_cams, eval_crf_seeds
from .infer_cams import infer_cams
from .make_affinity_labels import ConfidentLabelWriter, make_affinity_labels, write_label_maps
from .make_pseudo_labels import pseudo_crf, walk_cam_files
from .saliency import eval_saliency, infer_saliency
from .train import build_runner, load_config
from .train_seg import last_checkpoint, test_segmentor, train_on_label_maps

Stage = Callable[['PipelineContext'], dict]

#: config keys (at any depth) that change how a run goes, not what it makes:
#: left out of the work dir's recipe, so that e.g. fewer workers still resume
RUN_ONLY_KEYS = frozenset(
    {
        'work_dir',
        'launcher',
        'env_cfg',
        'log_level',
        'log_processor',
        'visualizer',
        'default_hooks',
        'num_workers',
        'persistent_workers',
        'pin_memory',
        'refine_workers',
    }
)


@dataclass
class PipelineContext:
    """What the stages share.

    Attributes:
        config_path (str): the CAM network config (with a ``pipeline``
            section for the refinement and segmentation stages).
        work_dir (str): every stage's output goes below it.
        data_root (str, optional): overrides the config's data root.
        method (str): CAM method of the inference stage.
        cfg_options (dict): ``--cfg-options`` for the config.
        auto_refine (bool): train the segmentation network on whichever of
            the seeds, the CRF-refined seeds and the pseudo masks scores best
            on the training images (see :func:`select_masks`).
        overwrite (bool): run every stage again in a work dir made by another
            recipe (or by this one), instead of refusing it (see :func:`run_pipeline`).
        take_over_from (str, optional): another run's work dir whose finished
            stages named in ``take_over`` this run takes over instead of
            running them (:func:`take_over_stages`), e.g. AdvCAM on the
            network of a CAM run.
        take_over (Sequence[str]): the stages to take over.
        results (dict): results of the stages done so far, by stage name.
    """

    config_path: str
    work_dir: str
    data_root: Optional[str] = None
    method: str = 'CAM'
    cfg_options: dict = field(default_factory=dict)
    auto_refine: bool = False
    overwrite: bool = False
    take_over_from: Optional[str] = None
    take_over: Sequence[str] = ()
    results: Dict[str, dict] = field(default_factory=dict)

    def config(self) -> Config:
        """A fresh copy of the config with the options applied, and the
        checkpoints of the auxiliary networks trained so far."""
        cfg = load_config(self.config_path, self.cfg_options)
        trained = self.results.get('train_auxiliary', {}).get('networks', {})
        cfg.merge_from_dict({aux['key']: aux['checkpoint'] for aux in trained.values()})
        return cfg

    def path(self, *parts: str) -> str:
        return osp.join(self.work_dir, *parts)

    def recipe(self) -> dict:
        """What the work dir's outputs come from: the resolved CAM network
        config and its sub-configs (``affinity``, ``seg``, ``saliency``, where
        the pipeline section names them) flattened to dotted keys without
        :data:`RUN_ONLY_KEYS`, the CAM method, the data root and
        ``auto_refine`` (:mod:`wsss_mm.utils.manifest`)."""
        cfg = load_config(self.config_path, self.cfg_options)
        configs = dict(cam=cfg)
        for kind in ('affinity', 'seg', 'saliency'):
            if (cfg.get('pipeline') or {}).get(kind + '_config'):
                configs[kind] = self.sub_config(kind)
        settings = {
            key: value
            for key, value in flatten(
                canonical({k: c.to_dict() for k, c in configs.items()})
            ).items()
            if not RUN_ONLY_KEYS & set(key.split('.'))
        }
        return dict(
            settings=settings,
            method=self.method,
            data_root=self.data_root and osp.abspath(self.data_root),
            auto_refine=self.auto_refine,
        )

    def sub_config(self, kind: str) -> Config:
        """The ``pipeline.<kind>_config`` config with ``pipeline.<kind>_options``.

        Args:
            kind (str): ``'affinity'``, ``'seg'`` or ``'saliency'``.

        Raises:
            KeyError: the config has no ``pipeline`` section or no such entry.
            FileNotFoundError: the referenced config file is missing.
        """
        section = self.config().get('pipeline')
        if not section or kind + '_config' not in section:
            raise KeyError(
                f'{self.config_path} has no `pipeline.{kind}_config`: the '
                'refinement stages need a pipeline section (see '
                'configs/quickstart/pipeline_synthvoc.py)'
            )
        path = osp.join(osp.dirname(self.config_path), section[kind + '_config'])
        return load_config(path, dict(section.get(kind + '_options', {})))

    def cam_split(self) -> Tuple[str, str, List[str]]:
        """The images of the CAM stages: (data root, split file relative to
        it, image ids). Affinity labels, pseudo masks and the segmentation
        training use the same images."""
        dataset = self.config().cam_dataloader.dataset
        data_root = self.data_root or dataset.data_root
        return data_root, dataset.ann_file, read_split(resolve_split(dataset.ann_file, data_root))

    def backbone_init(self) -> Optional[str]:
        """The CAM checkpoint when ``pipeline.init_from_cam`` is set, else None."""
        if self.config().pipeline.get('init_from_cam', False):
            return self.results['train_cam']['checkpoint']
        return None

    def backbone_prefix(self) -> str:
        """Where the CAM network's backbone is in its checkpoint: under
        ``generator.`` for the networks that train a generator (OC-CSE, P-OC,
        P-NOC)."""
        return 'generator.backbone.' if self.config().model.get('generator') else 'backbone.'


def train_auxiliary(ctx: PipelineContext) -> dict:
    """(0) Trains the networks that the CAM network's training needs, listed
    in the config's ``auxiliary`` (e.g. the ordinary classifier of OC-CSE /
    P-OC / P-NOC)::

        auxiliary = [dict(name='ordinary_classifier', config='cam_synthvoc.py',
                          checkpoint_key='model.oc_checkpoint', options=dict())]

    Each is trained from its config (relative to the CAM network config's
    folder, with ``options``) into ``WORK_DIR/aux/<name>``, and its last
    checkpoint is set at ``checkpoint_key`` of the CAM network's config for
    the later stages. An entry whose key is already set (e.g. by
    ``--cfg-options``) is not trained."""
    cfg = ctx.config()
    networks = {}
    for aux in cfg.get('auxiliary', []):
        missing = {'name', 'config', 'checkpoint_key'} - set(aux)
        if missing:
            raise KeyError(
                f'{ctx.config_path}: auxiliary entry {dict(aux)} lacks {sorted(missing)}'
            )
        if _get_key(cfg, aux['checkpoint_key']) is not None:
            continue
        aux_cfg = load_config(
            osp.join(osp.dirname(ctx.config_path), aux['config']), dict(aux.get('options', {}))
        )
        aux_cfg.val_cfg = aux_cfg.val_dataloader = aux_cfg.val_evaluator = None
        work_dir = ctx.path('aux', aux['name'])
        runner = build_runner(
            aux_cfg, work_dir=work_dir, config_path=aux_cfg.filename, data_root=ctx.data_root
        )
        runner.train()
        networks[aux['name']] = dict(
            checkpoint=last_checkpoint(work_dir), key=aux['checkpoint_key']
        )
    return dict(networks=networks)


def _get_key(cfg: Config, key: str):
    """The value at a dotted key of a config, None where a part is missing."""
    value = cfg
    for part in key.split('.'):
        value = value.get(part) if hasattr(value, 'get') else None
        if value is None:
            return None
    return value


def train_cam(ctx: PipelineContext) -> dict:
    """(1) Trains the CAM network; returns its last checkpoint. The config's
    seed validation (``val_cfg``, run by MMEngine after the last epoch) is
    left out: the next stages infer and evaluate the seeds anyway."""
    cfg = ctx.config()
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    runner = build_runner(
        cfg, work_dir=ctx.path('cam'), config_path=ctx.config_path, data_root=ctx.data_root
    )
    runner.train()
    return dict(checkpoint=last_checkpoint(ctx.path('cam')))


def eval_classifier(ctx: PipelineContext) -> dict:
    """(1b) The CAM network's classification quality on its test split (val):
    ``test_evaluator`` (``MultiLabelMetric``: mAP and F1, in percent) as
    ``tools/test.py`` gives it, logged to ``WORK_DIR/cam_val``; None where the
    config has no test dataloader or evaluator."""
    cfg = ctx.config()
    if not cfg.get('test_dataloader') or not cfg.get('test_evaluator'):
        return dict(val_map=None, val_f1=None)
    cfg.load_from = ctx.results['train_cam']['checkpoint']
    # as tools/test.py: a test builds no training or validation data
    for key in ('train_dataloader', 'train_cfg', 'optim_wrapper', 'param_scheduler'):
        cfg[key] = None
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    metrics = build_runner(cfg, work_dir=ctx.path('cam_val'), data_root=ctx.data_root).test()
    metrics = {k: float(v) for k, v in metrics.items()}
    return dict(
        val_map=metrics.get('multilabel/mAP'), val_f1=metrics.get('multilabel/F1'), metrics=metrics
    )


def infer_seed_cams(ctx: PipelineContext) -> dict:
    """(2) Multi-scale + flip CAMs of the CAM split, into ``WORK_DIR/cams``; with
    ``pipeline.cams_from_training`` (a folder of the CAM network's work dir,
    e.g. Group-WSSS's ``GroupCAMAccumulationHook`` maps), that folder's CAM
    files of the CAM split copied there instead."""
    training_cams = (ctx.config().get('pipeline') or {}).get('cams_from_training')
    if training_cams:
        return dict(copy_training_cams(ctx, ctx.path('cam', training_cams)), method=ctx.method)
    result = infer_cams(
        ctx.config(),
        ctx.results['train_cam']['checkpoint'],
        ctx.path('cams'),
        method=ctx.method,
        data_root=ctx.data_root,
        vis_dir=ctx.path('cam_overlays'),
        num_vis=10,
        overwrite=IF_STALE,
    )
    return dict(result, method=ctx.method)


def copy_training_cams(ctx: PipelineContext, source: str) -> dict:
    """Copies the CAM files of the CAM split from ``source`` to ``WORK_DIR/cams``.

    Raises:
        FileNotFoundError: an image of the split has no CAM file in ``source``
            (the message names the first and counts them).
    """
    _, _, ids = ctx.cam_split()
    missing = missing_cam_files(source, ids)
    if missing:
        raise FileNotFoundError(
            f'pipeline.cams_from_training: {len(missing)} images of the CAM split have no CAM '
            f'file in {source} (e.g. {cam_path(source, missing[0])}); the CAM network\'s '
            'training writes them (e.g. GroupCAMAccumulationHook) for its training images'
        )
    os.makedirs(ctx.path('cams'), exist_ok=True)
    for img_id in ids:
        with atomic_path(cam_path(ctx.path('cams'), img_id)) as tmp:
            shutil.copyfile(cam_path(source, img_id), tmp)
    return dict(done=len(ids), skipped=0, total=len(ids), source=source)


def eval_seed_cams(ctx: PipelineContext) -> dict:
    """(3) Seed mIoU (background-threshold sweep) and the uniform-map floor."""
    data_root, split, _ = ctx.cam_split()
    result = eval_cams(ctx.path('cams'), data_root, split)
    return dict(
        seed_miou=result['cams']['miou'],
        seed_threshold=result['cams']['threshold'],
        floor_miou=result['floor']['miou'],
        class_iou=result['cams']['class_iou'],
        class_names=result['class_names'],
    )


def eval_seed_crf(ctx: PipelineContext) -> dict:
    """(3b) The seeds at their best threshold refined by the dense CRF of the
    affinity config; not run without pydensecrf2."""
    if not crf_available():
        return dict(unavailable=INSTALL_HINT, crf_miou=None)
    cfg = ctx.sub_config('affinity')
    data_root, _, ids = ctx.cam_split()
    result = eval_crf_seeds(
        ctx.path('cams'),
        data_root,
        ids,
        ctx.results['eval_cams']['seed_threshold'],
        DenseCRF(**cfg.crf),
        num_workers=cfg.get('refine_workers', 1),
        out_dir=ctx.path('crf_seeds'),
    )
    return dict(
        crf_miou=result['miou'], crf_threshold=result['threshold'], class_iou=result['class_iou']
    )


def uses_saliency(ctx: PipelineContext) -> bool:
    """Whether the pipeline section names a saliency network (``saliency_config``)."""
    return bool((ctx.config().get('pipeline') or {}).get('saliency_config'))


def train_saliency(ctx: PipelineContext) -> dict:
    """(3c) The saliency network of ``pipeline.saliency_config`` (C²AM, or C²AM-H
    whose ``LoadCAMHint`` then reads its hints from this run's ``WORK_DIR/cams``),
    on the CAM split, into ``WORK_DIR/saliency_net``; skipped without it."""
    if not uses_saliency(ctx):
        return dict(checkpoint=None)
    cfg = ctx.sub_config('saliency')
    _, split, _ = ctx.cam_split()
    dataset = cfg.train_dataloader.dataset
    dataset.ann_file = split  # the images that have CAM files
    for transform in dataset.pipeline:
        if transform['type'] == 'LoadCAMHint':
            transform['cam_dir'] = ctx.path('cams')
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    work_dir = ctx.path('saliency_net')
    build_runner(cfg, work_dir=work_dir, data_root=ctx.data_root).train()
    return dict(checkpoint=last_checkpoint(work_dir))


def infer_saliency_maps(ctx: PipelineContext) -> dict:
    """(3d) Saliency maps of the CAM split into ``WORK_DIR/saliency`` and their
    foreground / background mIoU where the masks exist; skipped without a
    saliency network."""
    if not uses_saliency(ctx):
        return dict(saliency_miou=None, saliency_threshold=None)
    data_root, split, ids = ctx.cam_split()
    infer_saliency(
        ctx.sub_config('saliency'),
        ctx.results['train_saliency']['checkpoint'],
        ctx.path('saliency'),
        split,
        data_root=ctx.data_root,
        overwrite=IF_STALE,
    )
    if not has_ground_truth(data_root, ids):
        return dict(saliency_miou=None, saliency_threshold=None)
    result = eval_saliency(ctx.path('saliency'), data_root, split)
    return dict(saliency_miou=result['miou'], saliency_threshold=result['threshold'])


def refinement_config(ctx: PipelineContext) -> Config:
    """The affinity config; where it asks for a CRF that pydensecrf2 cannot
    give, the CRF is turned off with a warning (so that the pipeline runs on a
    machine without the optional extra) and the stage records it."""
    cfg = ctx.sub_config('affinity')
    if not crf_available():
        for key in ('affinity_labels', 'pseudo_labels'):
            if cfg.get(key, {}).get('crf', False):
                warnings.warn(f'{key}.crf is set but {INSTALL_HINT}; continuing without CRF')
                cfg[key]['crf'] = False
    return cfg


def make_aff_labels(ctx: PipelineContext) -> dict:
    """(4a) Affinity labels of the CAM split, into ``WORK_DIR/aff_labels``, at
    thresholds derived from the seeds' (``refine_thresholds``)."""
    cfg = refinement_config(ctx)
    data_root, split, _ = ctx.cam_split()
    saliency_dir = None
    if uses_saliency(ctx):
        # the background from the saliency maps, at their swept threshold where the
        # masks gave one (as the seeds' threshold), else affinity_labels.saliency_threshold
        saliency_dir = ctx.path('saliency')
        swept = ctx.results['saliency']['saliency_threshold']
        if swept is not None:
            cfg.affinity_labels.saliency_threshold = swept
    summary = make_affinity_labels(
        cfg,
        ctx.path('cams'),
        ctx.path('aff_labels'),
        data_root,
        split,
        seed_threshold=ctx.results['eval_cams']['seed_threshold'],
        saliency_dir=saliency_dir,
        overwrite=IF_STALE,
    )
    return dict(
        summary,
        crf=bool(cfg.affinity_labels.get('crf', False)),
        saliency_dir=saliency_dir,
        saliency_threshold=saliency_dir and cfg.affinity_labels.get('saliency_threshold'),
    )


def train_affinity(ctx: PipelineContext) -> dict:
    """(4b) AffinityNet on the affinity labels, into ``WORK_DIR/affinity``."""
    _, split, _ = ctx.cam_split()
    checkpoint = train_on_label_maps(
        ctx.sub_config('affinity'),
        ctx.path('aff_labels'),
        ctx.path('affinity'),
        ctx.data_root,
        split,
        ctx.backbone_init(),
        ctx.backbone_prefix(),
    )
    return dict(checkpoint=checkpoint)


def random_walk(ctx: PipelineContext) -> dict:
    """(4c) The walked class scores of the CAM split, as CAM files in
    ``WORK_DIR/walked``."""
    data_root, split, _ = ctx.cam_split()
    return walk_cam_files(
        ctx.sub_config('affinity'),
        ctx.results['train_affinity']['checkpoint'],
        ctx.path('cams'),
        ctx.path('walked'),
        data_root,
        split,
        overwrite=IF_STALE,
    )


def eval_walk(ctx: PipelineContext) -> dict:
    """(4d) Background-threshold sweep of the walked scores (the seeds'
    protocol); skipped without ground truth."""
    data_root, split, ids = ctx.cam_split()
    if not has_ground_truth(data_root, ids):
        return dict(walk_miou=None, walk_threshold=None)
    result = eval_cams(ctx.path('walked'), data_root, split)['cams']
    return dict(
        walk_miou=result['miou'], walk_threshold=result['threshold'], class_iou=result['class_iou']
    )


def walk_threshold(ctx: PipelineContext, cfg: Config) -> float:
    """The background threshold of the walked scores: the sweep's best under
    ``refine_thresholds.walk='sweep'`` (where ground truth exists), else
    ``random_walk.bg_value``."""
    rule = cfg.get('refine_thresholds', {}).get('walk', 'fixed')
    if rule not in ('sweep', 'fixed'):
        raise ValueError(f'refine_thresholds.walk must be "sweep" or "fixed", got "{rule}"')
    swept = ctx.results['eval_walk'].get('walk_threshold')
    if rule == 'sweep' and swept is not None:
        return swept
    return cfg.random_walk.get('bg_value', 0.25)


def make_pseudo_masks(ctx: PipelineContext) -> dict:
    """(4e) Pseudo masks from the walked scores (+ CRF), into
    ``WORK_DIR/pseudo_masks``, and their mIoU where the ground truth exists."""
    cfg = refinement_config(ctx)
    data_root, split, ids = ctx.cam_split()
    split_file = resolve_split(split, data_root)
    threshold = walk_threshold(ctx, cfg)
    band = cfg.get('pseudo_labels', {}).get('ignore_band')
    low, high = band if band is not None else (threshold, threshold)
    crf = pseudo_crf(cfg)
    writer = ConfidentLabelWriter(
        data_root,
        ctx.path('walked'),
        ctx.path('pseudo_masks'),
        fg_threshold=high,
        bg_threshold=low,
        crf=crf,
    )
    workers = cfg.get('refine_workers', 1)
    write_label_maps(writer, ids, workers, 'pseudo masks', IF_STALE, split_file)
    result = eval_label_dir(ctx.path('pseudo_masks'), data_root, ids, workers)
    return dict(
        threshold=threshold,
        ignore_band=band,
        crf=crf is not None,
        pseudo_miou=result and result['miou'],
        class_iou=result and result['class_iou'],
        ignored=result and result['ignored'],
    )


def select_masks(ctx: PipelineContext) -> dict:
    """(4f) The label maps the segmentation network learns from: the pseudo
    masks, or with ``auto_refine`` whichever of the seeds (at their best
    threshold), the CRF-refined seeds and the pseudo masks has the highest
    mIoU on the training images (the field's protocol uses the train ground
    truth for thresholds; nothing of val is looked at). Seeds chosen are
    written to ``WORK_DIR/seed_masks``."""
    mious = {
        'seeds': ctx.results['eval_cams']['seed_miou'],
        'seeds + CRF': ctx.results.get('eval_crf', {}).get('crf_miou'),
        'pseudo masks': ctx.results['pseudo_masks'].get('pseudo_miou'),
    }
    if not ctx.auto_refine or mious['pseudo masks'] is None:
        return dict(choice='pseudo masks', mask_dir='pseudo_masks', auto_refine=False, mious=mious)
    choice = max((m, name) for name, m in mious.items() if m is not None)[1]
    if choice == 'pseudo masks':
        return dict(choice=choice, mask_dir='pseudo_masks', auto_refine=True, mious=mious)
    cfg = refinement_config(ctx)
    data_root, split, ids = ctx.cam_split()
    threshold = ctx.results['eval_cams']['seed_threshold']
    crf = DenseCRF(**cfg.crf) if choice == 'seeds + CRF' else None
    writer = ConfidentLabelWriter(
        data_root, ctx.path('cams'), ctx.path('seed_masks'), threshold, threshold, crf
    )
    workers = cfg.get('refine_workers', 1)
    write_label_maps(writer, ids, workers, 'seed masks', IF_STALE, resolve_split(split, data_root))
    return dict(choice=choice, mask_dir='seed_masks', auto_refine=True, mious=mious)


def train_seg(ctx: PipelineContext) -> dict:
    """(5) The segmentation network on the selected label maps, into ``WORK_DIR/seg``."""
    _, split, _ = ctx.cam_split()
    mask_dir = ctx.path(ctx.results['select_masks']['mask_dir'])
    checkpoint = train_on_label_maps(
        ctx.sub_config('seg'),
        mask_dir,
        ctx.path('seg'),
        ctx.data_root,
        split,
        ctx.backbone_init(),
        ctx.backbone_prefix(),
    )
    return dict(checkpoint=checkpoint)


def test_seg(ctx: PipelineContext) -> dict:
    """(6) Multi-scale + flip test of the segmentation network (ground truth of
    the config's test split, e.g. val); its predictions replace those of an
    earlier run in ``WORK_DIR/seg_preds``."""
    shutil.rmtree(ctx.path('seg_preds'), ignore_errors=True)
    metrics = test_segmentor(
        ctx.sub_config('seg'),
        ctx.results['train_seg']['checkpoint'],
        ctx.path('seg'),
        ctx.data_root,
        tta=True,
        pred_dir=ctx.path('seg_preds'),
    )
    return dict(val_miou=float(metrics['mIoU']), metrics={k: float(v) for k, v in metrics.items()})


CAM_STAGES: List[Tuple[str, Stage]] = [
    ('train_auxiliary', train_auxiliary),
    ('train_cam', train_cam),
    ('eval_classifier', eval_classifier),
    ('infer_cams', infer_seed_cams),
    ('eval_cams', eval_seed_cams),
]
STAGES: List[Tuple[str, Stage]] = CAM_STAGES + [
    ('eval_crf', eval_seed_crf),
    ('train_saliency', train_saliency),
    ('saliency', infer_saliency_maps),
    ('affinity_labels', make_aff_labels),
    ('train_affinity', train_affinity),
    ('random_walk', random_walk),
    ('eval_walk', eval_walk),
    ('pseudo_masks', make_pseudo_masks),
    ('select_masks', select_masks),
    ('train_seg', train_seg),
    ('test_seg', test_seg),
]


def take_over_stages(ctx: PipelineContext, log: Callable[[str], None] = print) -> List[str]:
    """Takes over the stages ``ctx.take_over`` that the run in
    ``ctx.take_over_from`` has finished: their records are copied into
    ``WORK_DIR/stages/`` with ``reused_from`` (that work dir) added, so that
    they do not run here and the later stages read their results (e.g. the
    CAM network's checkpoint). A record already here is kept; a stage the
    other run has not finished runs here. Output folders are not copied: a
    later stage that reads one (e.g. ``train_seg`` the pseudo masks) needs it
    under this work dir (a link to the other run's).

    Returns:
        list[str]: the stages taken over now.

    Raises:
        ValueError: a name in ``ctx.take_over`` is not a stage of :data:`STAGES`.
        FileNotFoundError: ``ctx.take_over_from`` has no ``stages/`` folder.
    """
    names = [name for name, _ in STAGES]
    unknown = [name for name in ctx.take_over if name not in names]
    if unknown:
        raise ValueError(f'take over: unknown stage {unknown[0]}; the stages: {", ".join(names)}')
    source = osp.join(ctx.take_over_from or '', 'stages')
    if not osp.isdir(source):
        raise FileNotFoundError(
            f'take over: {ctx.take_over_from} has no stages/ folder: not a pipeline work dir'
        )
    taken = []
    for name in ctx.take_over:
        record, target = osp.join(source, name + '.json'), ctx.path('stages', name + '.json')
        if not osp.isfile(record) or osp.isfile(target):
            continue
        with open(record) as f:
            result = dict(json.load(f), reused_from=ctx.take_over_from)
        with atomic_path(target) as tmp, open(tmp, 'w') as f:
            json.dump(result, f, indent=1)
        log(f'[pipeline] {name}: taken over from {ctx.take_over_from}')
        taken.append(name)
    return taken


def run_pipeline(
    ctx: PipelineContext,
    stages: Optional[List[Tuple[str, Stage]]] = None,
    log: Callable[[str], None] = print,
    verbose: bool = True,
) -> Dict[str, dict]:
    """Runs the stages in order, skipping those already done (or taken over
    from another run once the work dir is claimed: ``ctx.take_over``,
    :func:`take_over_stages`).

    Args:
        ctx (PipelineContext): the run.
        stages (list, optional): ``(name, stage)`` pairs. Default: every stage
            when the config has a ``pipeline`` section, else the CAM stages.
        log (Callable): where progress lines go.
        verbose (bool): False: one line per stage, when it ends (with the log
            file of its Runner, if any), and MMEngine's console output muted
            (:func:`wsss_mm.utils.quiet.quiet_console`: the Runners' logs are
            only in their work dirs; third-party warnings and the checkpoint
            loader's lines go there or to ``WORK_DIR/pipeline.log``). True:
            a line when a stage starts too, and MMEngine's logs on the console.

    Returns:
        dict: every stage's result, by name; each has ``seconds``, the time
        the stage took when it ran.

    Raises:
        RecipeMismatchError: the work dir was made by another recipe
            (:meth:`PipelineContext.recipe`; the message names the keys that
            differ) and ``ctx.overwrite`` is false. With ``ctx.overwrite`` the
            stage records (``WORK_DIR/stages/``) are forgotten and every stage
            runs again; the per-image stages keep the files of folders whose
            own recipe still holds (e.g. the CAMs of an unchanged checkpoint)
            and remake the others.
    """
    if stages is None:
        stages = STAGES if ctx.config().get('pipeline') else CAM_STAGES
    records = glob.glob(osp.join(glob.escape(ctx.path('stages')), '*.json'))
    keep = claim_folder(ctx.work_dir, ctx.recipe(), ctx.overwrite, bool(records), '--work-dir')
    if not keep:
        for record in records:
            os.remove(record)
    os.makedirs(ctx.path('stages'), exist_ok=True)
    if ctx.take_over:
        take_over_stages(ctx, log)
    for name, stage in stages:
        done = ctx.path('stages', name + '.json')
        if osp.isfile(done):
            with open(done) as f:
                ctx.results[name] = json.load(f)
            log(f'[pipeline] {name}: already done ({done})')
            continue
        # quiet on a terminal: a "running" line that the stage's line overwrites
        status_line = not verbose and log is print and sys.stdout.isatty()
        clear = '\033[K' if status_line else ''
        if verbose:
            log(f'[pipeline] {name}: running')
        elif status_line:
            print(f'[pipeline] {name}: running', end='\r', flush=True)
        start = time.time()
        with quiet_console(ctx.path('pipeline.log'), enabled=not verbose) as log_files:
            try:
                result = dict(stage(ctx), seconds=round(time.time() - start, 1))
            except BaseException:
                logs = f' (log: {", ".join(log_files)})' if log_files else ''
                log(f'{clear}[pipeline] {name}: failed after {time.time() - start:.0f} s{logs}')
                raise
        ctx.results[name] = result
        if 'unavailable' in result:
            log(f'{clear}[pipeline] {name}: not run: {result["unavailable"]}')
            continue
        logs = f' (log: {", ".join(log_files)})' if log_files else ''
        log(f'{clear}[pipeline] {name}: done in {result["seconds"]:.0f} s{logs}')
        with atomic_path(done) as tmp, open(tmp, 'w') as f:
            json.dump(result, f, indent=1)
    return ctx.results


#: the gallery's columns: (title, folder in the work dir, kind), where the folder exists
GALLERY_COLUMNS = (
    ('seeds (CAMs)', 'cams', 'cams'),
    ('seeds + CRF', 'crf_seeds', 'masks'),
    ('random walk', 'walked', 'cams'),
    ('seed masks', 'seed_masks', 'masks'),
    ('pseudo masks', 'pseudo_masks', 'masks'),
)
#: the val page's column: the segmentation network's test predictions
VAL_COLUMNS = (('segmentation network', 'seg_preds', 'masks'),)


def _gallery_page(
    ctx: PipelineContext,
    columns: Sequence[Tuple[str, str, str]],
    data_root: str,
    split: str,
    out: str,
    title: str,
    num: int,
) -> Optional[str]:
    """One gallery page of the folders of ``columns`` that the run wrote; None
    without any or without ground truth for the split."""
    sources = [
        GallerySource(name, ctx.path(folder), kind)
        for name, folder, kind in columns
        if glob.glob(osp.join(glob.escape(ctx.path(folder)), '*'))  # not its hidden record
    ]
    ids = read_split(resolve_split(split, data_root))
    if not sources or not has_ground_truth(data_root, ids):
        return None
    build_gallery(sources, data_root, out, split=split, num=num, title=title)
    return out


def write_gallery(ctx: PipelineContext, num: int = 20) -> List[str]:
    """Writes the CAM galleries (:func:`~wsss_mm.apis.cam_gallery.build_gallery`)
    of the stages' outputs, rows sorted where the columns disagree most:
    ``WORK_DIR/gallery.html`` on the CAM split, one column per folder of
    :data:`GALLERY_COLUMNS` the run wrote (seeds, CRF-refined seeds, walked
    scores, seed masks, pseudo masks), and ``WORK_DIR/gallery_val.html``, the
    segmentation network's predictions on its test split (``seg_preds/``).

    Returns:
        list[str]: the pages written (none while no folder is there yet or a
        split has no ground truth).
    """
    data_root, split, _ = ctx.cam_split()
    pages = [
        _gallery_page(
            ctx,
            GALLERY_COLUMNS,
            data_root,
            split,
            ctx.path('gallery.html'),
            'Pipeline gallery: the CAM split',
            num,
        )
    ]
    preds = ctx.path('seg_preds')
    if osp.isdir(preds):
        # the test split is the predicted images (a COCO-layout set has no split file)
        split_file = ctx.path('seg_preds.txt')
        with atomic_path(split_file) as tmp, open(tmp, 'w') as f:
            f.writelines(
                f'{name[: -len(".png")]}\n'
                for name in sorted(os.listdir(preds))
                if name.endswith('.png')
            )
        test_set = ctx.sub_config('seg').test_dataloader.dataset
        pages.append(
            _gallery_page(
                ctx,
                VAL_COLUMNS,
                ctx.data_root or test_set.data_root,
                split_file,
                ctx.path('gallery_val.html'),
                'Pipeline gallery: the segmentation test split',
                num,
            )
        )
    return [page for page in pages if page]
