"""mmseg's ``SegDataPreProcessor`` with its batch augmentations built and applied
(mmseg 1.x stores ``batch_augments`` but never builds them)."""

from typing import Any, Dict, List, Optional

import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.models.data_preprocessor import SegDataPreProcessor

from wsss_mm.registry import MODELS


@MODELS.register_module()
class MixSegDataPreProcessor(SegDataPreProcessor):
    """``SegDataPreProcessor`` that applies batch augmentations in training.

    As mmdet's ``DetDataPreprocessor`` does, each config of
    ``batch_augments`` is built from ``MODELS`` (``SegMixup``, ``SegCutMix``,
    ``CoOccurrenceMix``, or any callable
    ``(inputs, data_samples) -> (inputs, data_samples)``) and they run in
    order on the normalised, padded training batch. Phantom label maps that
    come with the data (``gt_phantom_seg``, from ``ClusterMixDataset`` and
    ``PackSegMixInputs``) are padded as ``gt_sem_seg`` is (bottom / right,
    with ``seg_pad_val``). Outside training it is ``SegDataPreProcessor``.

    Example:
        >>> data_preprocessor = dict(
        ...     type='MixSegDataPreProcessor', mean=..., std=..., size=(513, 513),
        ...     batch_augments=[dict(type='CoOccurrenceMix',
        ...                          cooccurrence='cooc.npy', alpha=1.0, gamma=4)])

    Args:
        batch_augments (list[dict], optional): the augmentations, in order.
        **kwargs: ``SegDataPreProcessor``'s arguments.
    """

    def __init__(self, batch_augments: Optional[List[dict]] = None, **kwargs):
        super().__init__(batch_augments=None, **kwargs)
        self.augments = [MODELS.build(cfg) for cfg in batch_augments or []]

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        """``SegDataPreProcessor.forward``, then (training only) the phantom
        maps padded and the batch augmentations applied.

        Returns:
            dict: ``inputs`` (B, 3, H, W) and ``data_samples``.
        """
        data = super().forward(data, training)
        if not training:
            return data
        inputs, data_samples = data['inputs'], data['data_samples']
        height, width = inputs.shape[-2:]
        for sample in data_samples:
            if 'gt_phantom_seg' in sample:
                phantom = sample.gt_phantom_seg.data
                pad = (0, width - phantom.shape[-1], 0, height - phantom.shape[-2])
                sample.gt_phantom_seg = PixelData(data=F.pad(phantom, pad, value=self.seg_pad_val))
        for augment in self.augments:
            inputs, data_samples = augment(inputs, data_samples)
        return dict(inputs=inputs, data_samples=data_samples)
