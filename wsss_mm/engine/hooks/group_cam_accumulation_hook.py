"""The maps Group-WSSS's authors evaluate: written during training, in the graph
with the anchor's partners, and max-accumulated over the epochs."""

import contextlib
import os
import os.path as osp
import warnings
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from wsss_mm.cams.cam_file import cam_path, load_cam_file, save_cam_file
from wsss_mm.registry import HOOKS
from wsss_mm.utils.manifest import claim_folder


def _pipeline_crops(dataset_cfg: dict) -> list:
    """The cropping transforms of a dataset config's pipeline (any wrapper's)."""
    crops = [t['type'] for t in dataset_cfg.get('pipeline', []) if 'Crop' in str(t.get('type'))]
    for key in ('dataset', 'datasets'):
        inner = dataset_cfg.get(key)
        for sub in inner if isinstance(inner, (list, tuple)) else [inner] if inner else []:
            crops += _pipeline_crops(sub)
    return crops


@HOOKS.register_module()
class GroupCAMAccumulationHook(Hook):
    """Writes the anchors' maps of each training batch as CAM files and
    max-accumulates them over the epochs, as the authors' code of Group-WSSS
    makes the maps it evaluates (``Lixy1997/Group-WSSS``, ``models/vgg_gnn.py``).

    After each training iteration, for the anchor of each group of the batch
    (the first image of each K, :class:`~wsss_mm.datasets.samplers.GroupSampler`'s
    order): the network's maps of that forward pass (train mode, the anchor's
    partners in the graph, graph dropout on; ``GroupWSSS.train_cams``: with
    ``cam_source='ensemble'`` the code's ``(pre-graph + post-graph) / 2``)
    are passed through ReLU, put back on the original image (the padding cut
    off, a flip undone, resized bilinearly) and each class's map divided by
    its maximum. A labelled class is written when the graph readout's score
    ``sigmoid(logit)`` is at least ``score_threshold``, or in the last epoch
    if the image has no map of it yet; a map already on disk is replaced by
    the element-wise maximum of the two. Nothing is written before
    ``start_epoch`` (the code starts with its second epoch, 1).

    The files are CAM files (docs/design.md: ``<image_id>.npz`` with ``keys``
    and ``cam`` at the original size, each map in [0, 1]) in ``out_dir``, so
    ``tools/eval_cams.py`` and ``tools/run_pipeline.py``
    (``pipeline.cams_from_training``) read them as any CAM folder. Each write
    is atomic, and the maximum makes a resumed training (whose epochs after
    the last checkpoint run again) continue the accumulation; a file that
    does not open is written anew. The code's maps differ in that it stores
    uint8 PNGs at the feature map's size and resizes them at the end (here:
    float32 at the image's size; the maximum is taken there).

    Config::

        custom_hooks = [dict(type='GroupCAMAccumulationHook', out_dir='group_cams')]

    Several of these hooks can read the same training (the maps are read, not
    taken), e.g. a second one with ``start_epoch=max_epochs - 1`` and another
    ``out_dir`` keeps the last epoch's maps alone beside the accumulated ones.

    The training pipeline must keep the whole image (a resize, padding,
    flips): a crop's maps cannot be put back on the image, and is refused.

    The folder records what makes its maps (``.recipe.json``, docs/design.md
    "Output folders know their recipe": the hook's settings, the network, the
    training data and the seed): a resumed training continues a folder of its
    own recipe, a training of it that starts over (from its first iteration)
    starts the maps over, and a folder of another recipe (or maps without a
    record) is refused, naming what differs.

    Args:
        out_dir (str): the folder of the CAM files; relative: below the
            runner's work dir. Default: 'group_cams'.
        score_threshold (float): the graph readout's score from which a class
            is written (0.1, the code's).
        start_epoch (int): the first epoch (0-based) written (1, the code's).
        anchors_only (bool): write only the anchors' maps (the code's), else
            every image's of the batch. Default: True.
    """

    priority = 'LOW'

    def __init__(
        self,
        out_dir: str = 'group_cams',
        score_threshold: float = 0.1,
        start_epoch: int = 1,
        anchors_only: bool = True,
    ) -> None:
        if not 0.0 <= score_threshold <= 1.0:
            raise ValueError(
                'GroupCAMAccumulationHook: score_threshold must be in [0, 1], got '
                f'{score_threshold}'
            )
        if start_epoch < 0:
            raise ValueError(
                f'GroupCAMAccumulationHook: start_epoch must be >= 0, got {start_epoch}'
            )
        self.out_dir = out_dir
        self.score_threshold = score_threshold
        self.start_epoch = start_epoch
        self.anchors_only = anchors_only
        self.cam_dir: Optional[str] = None

    @staticmethod
    def _network(runner):
        return runner.model.module if is_model_wrapper(runner.model) else runner.model

    def before_train(self, runner) -> None:
        """Checks the network and the pipeline; turns the recording on.

        Raises:
            TypeError: the network does not record its training maps
                (``GroupWSSS``).
            ValueError: the training pipeline crops.
            wsss_mm.utils.manifest.RecipeMismatchError: the folder holds maps
                of another recipe, or maps without a record.
        """
        model = self._network(runner)
        if not hasattr(model, 'record_train_cams'):
            raise TypeError(
                'GroupCAMAccumulationHook needs a network that keeps its training maps '
                f'(record_train_cams / train_cams, e.g. GroupWSSS), got {type(model).__name__}'
            )
        crops = _pipeline_crops(runner.cfg.get('train_dataloader', {}).get('dataset', {}))
        if crops:
            raise ValueError(
                f'GroupCAMAccumulationHook: the training pipeline crops ({", ".join(crops)}): '
                'the maps of a crop cannot be put back on the image; resize the whole image '
                "(e.g. dict(type='Resize', scale=..., keep_ratio=False), the authors')"
            )
        self.cam_dir = osp.join(runner.work_dir, self.out_dir)
        self._claim(runner)
        model.record_train_cams = True

    def _claim(self, runner) -> None:
        """Records the folder's recipe; refuses maps of another training."""
        cfg = runner.cfg
        recipe = dict(
            stage='GroupCAMAccumulationHook',
            settings=dict(
                score_threshold=self.score_threshold,
                start_epoch=self.start_epoch,
                anchors_only=self.anchors_only,
            ),
            model=cfg.get('model'),
            data=cfg.get('train_dataloader', {}).get('dataset'),
            seed=(cfg.get('randomness') or {}).get('seed'),
        )
        os.makedirs(self.cam_dir, exist_ok=True)
        maps = [name for name in os.listdir(self.cam_dir) if name.endswith('.npz')]
        claim_folder(self.cam_dir, recipe, has_outputs=bool(maps), flag='--work-dir')
        if runner.iter == 0:  # the training starts over: so do its maps
            for name in maps:
                with contextlib.suppress(FileNotFoundError):  # another rank's
                    os.remove(osp.join(self.cam_dir, name))

    def after_train(self, runner) -> None:
        model = self._network(runner)
        model.record_train_cams = False
        model.train_cams = None

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        model = self._network(runner)
        record = model.train_cams  # read, not taken: several hooks may write it
        last_epoch = runner.epoch == runner.max_epochs - 1
        if record is None or (runner.epoch < self.start_epoch and not last_epoch):
            return
        self.write(record, last_epoch)

    @torch.no_grad()
    def write(self, record: dict, last_epoch: bool) -> None:
        """Accumulates one batch's maps into the CAM files.

        Args:
            record (dict): ``GroupWSSS.train_cams``: ``cams`` (B, C, h, w),
                ``scores`` (B, C), ``group_size``, ``input_shape`` (H, W),
                ``data_samples``.
            last_epoch (bool): write the labelled classes still missing
                whatever their score.
        """
        step = record['group_size'] if self.anchors_only else 1
        rows = list(range(0, len(record['cams']), step))
        # ReLU, then on the network's input grid (the images' padded batch)
        cams = F.interpolate(
            record['cams'][rows].float().clamp(min=0),
            size=record['input_shape'],
            mode='bilinear',
            align_corners=False,
        )
        scores = record['scores'][rows].float().cpu().numpy()
        for cam, score, row in zip(cams, scores, rows):
            sample = record['data_samples'][row]
            classes = sample.gt_labels.nonzero().flatten().cpu().numpy()
            if len(classes):
                self._accumulate(sample, cam[torch.as_tensor(classes)], classes, score, last_epoch)

    def _accumulate(
        self, sample, cam: torch.Tensor, classes: np.ndarray, score: np.ndarray, last: bool
    ) -> None:
        """One image: ``cam`` (n, H, W) of its labelled ``classes`` (0-based)."""
        path = cam_path(self.cam_dir, sample.img_id)
        stored = {}
        if osp.isfile(path):
            try:
                data = load_cam_file(path)
                stored = dict(zip(data['keys'].tolist(), data['cam']))
            except ValueError as e:
                warnings.warn(f'{e}: written anew')
        keys = classes + 1
        write = [
            score[c] >= self.score_threshold or (last and k not in stored)
            for c, k in zip(classes, keys.tolist())
        ]
        if not any(write):
            return
        height, width = sample.img_shape[:2]
        cam = cam[:, :height, :width]
        if sample.get('flip', False):
            direction = sample.get('flip_direction', 'horizontal')
            dims = {'horizontal': [-1], 'vertical': [-2], 'diagonal': [-2, -1]}[direction]
            cam = cam.flip(dims)
        cam = F.interpolate(
            cam[None], size=tuple(sample.ori_shape[:2]), mode='bilinear', align_corners=False
        )[0]
        peak = cam.flatten(1).amax(dim=1).clamp(min=1e-8)
        cam = (cam / peak[:, None, None]).cpu().numpy()
        for key, new, chosen in zip(keys.tolist(), cam, write):
            if chosen:
                stored[key] = np.maximum(stored[key], new) if key in stored else new
        order = sorted(stored)
        save_cam_file(path, np.array(order), np.stack([stored[k] for k in order]))
