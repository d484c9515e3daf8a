"""SegMix's feature binding head (FBH, Islam et al., IJCV 2023, Sec. 3.2, Eq. 4)."""

from typing import List, Sequence

import torch
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead

from wsss_mm.registry import MODELS


@MODELS.register_module()
class FeatureBindingHead(BaseDecodeHead):
    """``S_fb = F_fb(S_t, S_p)``: the dominant and phantom score maps
    concatenated, then two 1x1 convolutions with a ReLU between them.

    mmseg's ``resize_concat`` input transform concatenates the two maps
    (``in_channels=(C, C)``, ``in_index=(0, 1)``); the first 1x1 convolution
    (``fuse``, 2C -> ``channels``, ReLU, no normalisation by default) is
    followed by ``BaseDecodeHead``'s 1x1 classifier ``conv_seg``
    (``channels`` -> C). The paper gives no hidden width; ``channels`` is a
    config value.

    Args:
        num_classes (int): C.
        channels (int): the hidden width of the first 1x1 convolution.
        in_channels (Sequence[int]): the widths of S_t and S_p. Default:
            ``(num_classes, num_classes)``.
        **kwargs: passed to :class:`mmseg.models.decode_heads.BaseDecodeHead`
            (``loss_decode``, ``align_corners``, ...); ``dropout_ratio``
            defaults to 0 here, ``norm_cfg`` to None (mmseg's default).
    """

    def __init__(
        self, num_classes: int, channels: int, in_channels: Sequence[int] = (), **kwargs
    ) -> None:
        in_channels = list(in_channels) or [num_classes, num_classes]
        if len(in_channels) != 2:
            raise ValueError(
                f'FeatureBindingHead: in_channels={in_channels}, expected the two widths '
                'of (S_t, S_p)'
            )
        kwargs.setdefault('in_index', [0, 1])
        kwargs.setdefault('input_transform', 'resize_concat')
        kwargs.setdefault('dropout_ratio', 0.0)
        super().__init__(
            in_channels=in_channels, channels=channels, num_classes=num_classes, **kwargs
        )
        self.fuse = ConvModule(
            self.in_channels,  # resize_concat: the sum of the widths
            self.channels,
            1,
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg,
        )

    def forward(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        """
        Args:
            inputs (list[Tensor]): ``[S_t, S_p]``, each (B, C, h, w).

        Returns:
            Tensor: S_fb, (B, C, h, w) class scores.
        """
        return self.cls_seg(self.fuse(self._transform_inputs(inputs)))
