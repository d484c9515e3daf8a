"""The DeepLab-v2 ASPP classifier (Chen et al., TPAMI 2017)."""

from typing import List, Sequence

import torch
import torch.nn as nn
from mmseg.models.decode_heads.decode_head import BaseDecodeHead

from wsss_mm.registry import MODELS


@MODELS.register_module()
class ASPPV2Head(BaseDecodeHead):
    """DeepLab-v2's atrous spatial pyramid pooling: the sum of parallel 3x3
    convolutions with different dilations, each mapping the backbone feature
    straight to class scores (``Classifier_Module`` of DeepLab-v2-ResNet101,
    the segmentation network of PSA, IRN, AdvCAM, CPN and Group-WSSS).

    Unlike DeepLabV3's ``ASPPHead`` there is no image pooling, no
    normalisation, no bottleneck and no 1x1 classifier: the branches are the
    classifier, so ``channels`` is not used and ``conv_seg`` is removed.

    Args:
        dilations (Sequence[int]): one branch per dilation. Default:
            (6, 12, 18, 24).
        **kwargs: passed to :class:`mmseg.models.decode_heads.BaseDecodeHead`
            (``in_channels``, ``num_classes``, ``loss_decode``, ...);
            ``channels`` defaults to ``num_classes``.
    """

    def __init__(self, dilations: Sequence[int] = (6, 12, 18, 24), **kwargs) -> None:
        kwargs.setdefault('channels', kwargs.get('num_classes'))
        kwargs.setdefault('dropout_ratio', 0.0)
        kwargs.setdefault('init_cfg', dict(type='Normal', std=0.01, layer='Conv2d'))
        super().__init__(**kwargs)
        if not dilations:
            raise ValueError('ASPPV2Head needs at least one dilation')
        del self.conv_seg  # the branches classify
        self.dilations = tuple(dilations)
        self.branches = nn.ModuleList(
            nn.Conv2d(self.in_channels, self.out_channels, 3, padding=d, dilation=d)
            for d in self.dilations
        )

    def forward(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        """
        Args:
            inputs (list[Tensor]): backbone features; the one at ``in_index``
                is (B, in_channels, h, w).

        Returns:
            Tensor: (B, num_classes, h, w) class scores.
        """
        x = self._transform_inputs(inputs)
        if self.dropout is not None:
            x = self.dropout(x)
        return sum(branch(x) for branch in self.branches)
