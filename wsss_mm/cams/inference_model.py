"""A CAM network that predicts multi-scale + flip CAMs in test and validation
loops (for :class:`wsss_mm.evaluation.SeedMIoUMetric`)."""

from typing import List, Sequence, Union

import torch
import torch.nn as nn
from mmengine.model import BaseTTAModel
from mmengine.structures import PixelData
from mmseg.models.utils import resize
from mmseg.structures import SegDataSample

from wsss_mm.registry import CAM_METHODS, MODELS
from wsss_mm.utils.maps import max_normalize

from .base_cam import check_cam_network
from .multiscale import multiscale_cams


@MODELS.register_module()
class CAMInferenceModel(BaseTTAModel):
    """Wraps a CAM network: ``test_step`` / ``val_step`` return its data samples
    with the CAMs of their ground-truth classes, as ``tools/infer_cams.py``
    computes them.

    Each sample gets ``pred_cams`` (``PixelData`` of (C, H, W) float maps in
    [0, 1] at the image's original size ``ori_shape``, each present class's
    map max-normalised, zero for absent classes) and what the network's
    ``predict`` adds (``pred_logits`` and ``pred_scores`` (C,) of a
    :class:`~wsss_mm.models.CAMClassifier`), so that a ``SeedMIoUMetric`` and
    a ``MultiLabelMetric`` can share one evaluator. The classes are the
    samples' ``gt_labels`` ((C,) multi-hot).

    Like MMEngine's other test-time-augmentation models it holds the network
    as ``module`` (its checkpoints load as the network's), but it augments the
    images itself (:func:`~wsss_mm.cams.multiscale_cams`, the scales and
    flips in one pass per scale), so the dataloader gives one view of each
    image. Gradient-based CAM methods enable gradients themselves, so the
    steps also run inside ``torch.no_grad`` (MMEngine's loops).

    Args:
        module (dict | nn.Module): the CAM network, or its config.
        method (str | dict): a CAM method of ``CAM_METHODS``: its type name,
            or a config with options (``dict(type='AdvCAM', steps=27)``).
            Default: ``'CAM'``.
        scales (Sequence[float]): input scales. Default: (1.0, 0.5, 1.5, 2.0).
        flip (bool): add the horizontally flipped images. Default: True.
        geometry (str): how images are rescaled and maps resized back
            (:func:`~wsss_mm.cams.multiscale_cams`): ``'bilinear'`` (default)
            or ``'irn'``.
    """

    def __init__(
        self,
        module: Union[dict, nn.Module],
        method: Union[str, dict] = 'CAM',
        scales: Sequence[float] = (1.0, 0.5, 1.5, 2.0),
        flip: bool = True,
        geometry: str = 'bilinear',
    ) -> None:
        super().__init__(module=module)
        check_cam_network(self.module)
        method = dict(type=method) if isinstance(method, str) else dict(method)
        if method.get('type') not in CAM_METHODS:
            raise KeyError(
                f'unknown CAM method "{method.get("type")}"; registered: '
                f'{sorted(CAM_METHODS.module_dict)}'
            )
        self.method = CAM_METHODS.build(method)
        self.scales = tuple(scales)
        self.flip = flip
        self.geometry = geometry

    def test_step(self, data: dict) -> List[SegDataSample]:
        """The CAMs (and the network's predictions) of a batch.

        Args:
            data (dict): a batch of the dataloader: ``inputs`` (B images
                (3, H, W) of one size) and ``data_samples`` with ``gt_labels``.

        Returns:
            list[SegDataSample]: the data samples with ``pred_cams``.

        Raises:
            KeyError: a data sample carries no ``gt_labels``.
        """
        missing = [i for i, s in enumerate(data['data_samples']) if 'gt_labels' not in s]
        if missing:
            raise KeyError(
                f'data samples {missing} carry no `gt_labels`: the CAMs are '
                'computed for the labelled classes; pack the images with '
                '`PackCAMInputs` (a VOCClsDataset)'
            )
        data = self.module.data_preprocessor(data, False)
        inputs, samples = data['inputs'], data['data_samples']
        with torch.no_grad():
            samples = self.module(inputs, samples, mode='predict')
        labels = torch.stack([s.gt_labels for s in samples]).to(inputs)
        cams = multiscale_cams(
            self.method,
            self.module,
            inputs,
            labels,
            scales=self.scales,
            flip=self.flip,
            geometry=self.geometry,
        )
        for sample, sample_cams in zip(samples, cams.detach()):
            height, width = sample.img_shape[:2]
            sample_cams = sample_cams[:, :height, :width]  # without the padding
            if tuple(sample.ori_shape[:2]) != (height, width):
                sample_cams = max_normalize(
                    resize(
                        sample_cams[None],
                        size=tuple(sample.ori_shape[:2]),
                        mode='bilinear',
                        align_corners=False,
                    )[0]
                )
            sample.pred_cams = PixelData(data=sample_cams)
        return samples

    def val_step(self, data: dict) -> List[SegDataSample]:
        """As :meth:`test_step`."""
        return self.test_step(data)

    def merge_preds(self, data_samples_list: list) -> list:
        """Not used: the views of an image are made and merged in :meth:`test_step`.

        Raises:
            NotImplementedError: always (a ``TestTimeAug`` pipeline's views).
        """
        raise NotImplementedError(
            'CAMInferenceModel makes the scales and flips itself: give it one view of '
            'each image (no TestTimeAug pipeline)'
        )
