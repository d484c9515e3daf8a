"""A stack of convolutions between a backbone and a CAM network's graph or head."""

from typing import Optional, Union

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule

from wsss_mm.registry import MODELS


@MODELS.register_module()
class ConvStackNeck(BaseModule):
    """``num_convs`` x (conv -> [norm] -> activation), keeping the map size.

    The classifier side of the VGG16 CAM networks of OAA, ICD and Group-WSSS:
    the authors' code of Group-WSSS (``Lixy1997/Group-WSSS``,
    ``models/vgg_gnn.py``, ``extra_convs``) puts three 3x3 convolutions of
    512 channels with ReLU (biases, no normalisation, weights N(0, 0.01))
    between the dilated conv5 and its 1x1 classifier, and trains them at 10x
    the backbone's learning rate as new layers. In a
    :class:`~wsss_mm.models.CAMClassifier` (``neck=``) the stack's output is
    the CAM feature map; the 1x1 classifier is the head's.

    Shapes: (B, in_channels, h, w) -> (B, channels, h, w).

    Args:
        in_channels (int): channels of the backbone's output.
        channels (int): channels of every convolution's output. Default: 512.
        num_convs (int): number of convolutions. Default: 3.
        kernel_size (int): odd kernel size (padding keeps the map size).
            Default: 3.
        norm_cfg (dict, optional): normalisation after each convolution;
            None (the code's): none, and the convolutions have biases.
        act_cfg (dict): activation after each convolution. Default: ReLU.
        init_cfg (dict | list[dict], optional): default N(0, 0.01) on the
            convolutions' weights (biases 0), as the code.

    Raises:
        ValueError: ``num_convs < 1`` or an even ``kernel_size``.
    """

    def __init__(
        self,
        in_channels: int,
        channels: int = 512,
        num_convs: int = 3,
        kernel_size: int = 3,
        norm_cfg: Optional[dict] = None,
        act_cfg: dict = dict(type='ReLU'),
        init_cfg: Optional[Union[dict, list]] = dict(type='Normal', layer='Conv2d', std=0.01),
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_convs < 1 or kernel_size % 2 != 1:
            raise ValueError(
                f'ConvStackNeck: num_convs ({num_convs}) must be >= 1 and kernel_size '
                f'({kernel_size}) odd'
            )
        self.in_channels = in_channels
        self.channels = channels
        self.convs = nn.Sequential(
            *(
                ConvModule(
                    in_channels if i == 0 else channels,
                    channels,
                    kernel_size,
                    padding=kernel_size // 2,
                    norm_cfg=norm_cfg,
                    act_cfg=act_cfg,
                )
                for i in range(num_convs)
            )
        )

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        """
        Args:
            feats (Tensor): (B, in_channels, h, w).

        Returns:
            Tensor: (B, channels, h, w).

        Raises:
            ValueError: ``feats`` has not ``in_channels`` channels.
        """
        if feats.shape[1] != self.in_channels:
            raise ValueError(
                f'ConvStackNeck: expected {self.in_channels} input channels, got {feats.shape[1]}'
            )
        return self.convs(feats)
