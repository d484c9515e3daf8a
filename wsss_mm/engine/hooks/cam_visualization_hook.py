"""CAM overlays of a fixed set of images, drawn during a CAM network's
training and handed to MMEngine's visualizer (local files, TensorBoard, ...)."""

from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from wsss_mm.engine.runner.cam_loops import cam_inference_model
from wsss_mm.registry import HOOKS
from wsss_mm.utils.io import read_image
from wsss_mm.utils.visualization import cam_overlay_panel


@HOOKS.register_module()
class CAMVisualizationHook(Hook):
    """Every ``interval`` training iterations, the CAMs of ``num_images``
    fixed images as overlays (the image, one heat map per labelled class under
    its name, a 0..1 colour bar: :func:`~wsss_mm.utils.visualization.cam_overlay_panel`)
    given to ``runner.visualizer.add_image('cam_<image id>', overlay,
    step=<iterations done>)``. With the default ``LocalVisBackend`` they are
    written as ``<work_dir>/<timestamp>/vis_data/vis_image/cam_<id>_<step>.png``;
    add ``dict(type='TensorboardVisBackend')`` to ``vis_backends`` for
    TensorBoard (docs/visualization.md). Config::

        custom_hooks = [
            dict(type='FiniteLossHook'),
            dict(type='CAMVisualizationHook', interval=50, num_images=4),
        ]

    The images are the first ``num_images`` of the val dataloader's dataset
    (the quickstart's: the CAM split with original sizes and labels), taken
    when training starts; without a val dataloader, of ``cfg.cam_dataloader``'s.
    The maps are computed as ``tools/infer_cams.py`` does (the CAM network
    protocol, through :class:`~wsss_mm.cams.CAMInferenceModel`), in eval mode
    and without gradients to the weights; the network is set back to training
    mode afterwards.

    Args:
        interval (int): iterations between two drawings. Default: 50.
        num_images (int): images drawn. Default: 4.
        method (str): a registered CAM method (options from
            ``cfg.cam_methods``). Default: ``'CAM'``.
        scales (Sequence[float]): input scales. Default: (1.0,) (cheap).
        flip (bool): add the flipped image. Default: False.
    """

    priority = 'LOW'

    def __init__(
        self,
        interval: int = 50,
        num_images: int = 4,
        method: str = 'CAM',
        scales: Sequence[float] = (1.0,),
        flip: bool = False,
    ) -> None:
        if interval < 1 or num_images < 1:
            raise ValueError(
                'CAMVisualizationHook: interval and num_images must be at least 1, got '
                f'{interval} and {num_images}'
            )
        self.interval = interval
        self.num_images = num_images
        self.method = method
        self.scales = tuple(scales)
        self.flip = flip
        self.samples: List[dict] = []
        self.class_names: Optional[Sequence[str]] = None

    def before_train(self, runner) -> None:
        """Takes the images (and builds the CAM wrapper, so a bad method fails now)."""
        if runner.val_loop is not None:
            dataset = runner.val_dataloader.dataset
        elif runner.cfg.get('cam_dataloader'):
            dataset = runner.build_dataloader(runner.cfg.cam_dataloader).dataset
        else:
            raise KeyError(
                'CAMVisualizationHook: the config has neither a val_dataloader nor a '
                'cam_dataloader to take images from'
            )
        self.samples = [dataset[i] for i in range(min(self.num_images, len(dataset)))]
        self.class_names = dataset.metainfo.get('classes')
        cam_inference_model(runner, self.method, self.scales, self.flip)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self.every_n_train_iters(runner, self.interval):
            self.draw(runner, runner.iter + 1)

    @torch.no_grad()
    def draw(self, runner, step: int) -> None:
        """Computes and hands over the overlays of the images at ``step``."""
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        was_training = model.training
        cam_model = cam_inference_model(runner, self.method, self.scales, self.flip)
        model.eval()
        try:
            for sample in self.samples:
                (result,) = cam_model.val_step(pseudo_collate([sample]))
                labels = np.flatnonzero(result.gt_labels.cpu().numpy()) + 1  # class ids
                cams = result.pred_cams.data[torch.as_tensor(labels - 1)].float().cpu().numpy()
                img = read_image(result.img_path)[:, :, ::-1].copy()  # RGB
                panel = cam_overlay_panel(img, cams, labels.tolist(), self.class_names)
                name = result.metainfo.get('img_id') or f'{self.samples.index(sample)}'
                runner.visualizer.add_image(f'cam_{name}', panel, step=step)
        finally:
            model.train(was_training)
