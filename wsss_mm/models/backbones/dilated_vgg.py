"""The dilated VGG16 of Group-WSSS (and of OAA, ICD and other VGG-based WSSS methods)."""

from typing import Sequence

import torch.nn as nn
from mmpretrain.models.backbones import VGG

from wsss_mm.registry import MODELS


@MODELS.register_module()
class DilatedVGG(VGG):
    """MMPretrain's :class:`~mmpretrain.models.backbones.VGG` at output stride 8.

    X. Li et al., "Group-Wise Semantic Mining for Weakly Supervised Semantic
    Segmentation" (AAAI 2021): "We replace the last convolutional layer in
    VGG16 by dilated convolutions with a rate of 2". The authors' code
    (``Lixy1997/Group-WSSS``, ``models/vgg_gnn.py``, ``cfg['D1']``) builds it
    as: the max-pool after conv4 (pool4) becomes a 3x3 max-pool of stride 1
    and padding 1, the three conv5 convolutions have dilation 2 (padding 2),
    and pool5 is removed. With the defaults::

        (B, 3, H, W) -> (B, 512, H / 8, W / 8)      e.g. 224 -> 28

    MMPretrain's ``dilations`` and ``with_last_pool`` express the dilation and
    the removed pool5; this class only replaces the pools of the stages in
    ``stride1_pools``. The parameters keep MMPretrain's names
    (``features.{i}.conv.weight``), so MMPretrain's VGG-16 ImageNet
    checkpoint loads through ``init_cfg=dict(type='Pretrained',
    checkpoint=PATH, prefix='backbone.')`` (its ``backbone.classifier`` keys
    are then unexpected and skipped), and so does torchvision's ``vgg16``
    (the code's weights) once converted by
    ``tools/model_converters/torchvision_vgg2mmpretrain.py``. The code's
    classifier-side layers (three 3x3 convs, the 1x1 classifier) are not part
    of the backbone: they are the CAM network's neck (``ConvStackNeck``) and
    heads.

    Args:
        depth (int): 11, 13, 16 or 19. Default: 16.
        dilations (Sequence[int]): dilation of each stage's convolutions.
            Default: (1, 1, 1, 1, 2).
        with_last_pool (bool): keep the pool of the last stage. Default: False.
        out_indices (Sequence[int]): stages whose outputs are returned.
            Default: (4,), conv5.
        stride1_pools (Sequence[int]): stages (0-based) whose 2x2 stride-2
            max-pool becomes a 3x3 stride-1 max-pool. Default: (3,), pool4.
        **kwargs: the other arguments of MMPretrain's ``VGG`` (``frozen_stages``,
            ``norm_cfg``, ``init_cfg``, ...).

    Raises:
        ValueError: a stage of ``stride1_pools`` does not exist or has no pool
            (the last one without ``with_last_pool``).
    """

    def __init__(
        self,
        depth: int = 16,
        dilations: Sequence[int] = (1, 1, 1, 1, 2),
        with_last_pool: bool = False,
        out_indices: Sequence[int] = (4,),
        stride1_pools: Sequence[int] = (3,),
        **kwargs,
    ) -> None:
        super().__init__(
            depth,
            dilations=dilations,
            with_last_pool=with_last_pool,
            out_indices=out_indices,
            **kwargs,
        )
        layers = getattr(self, self.module_name)
        for stage in stride1_pools:
            if not 0 <= stage < len(self.stage_blocks):
                raise ValueError(
                    f'DilatedVGG: stride1_pools stage {stage} is not one of the '
                    f'{len(self.stage_blocks)} stages'
                )
            last = self.range_sub_modules[stage][1] - 1
            if not isinstance(layers[last], nn.MaxPool2d):
                raise ValueError(
                    f'DilatedVGG: stage {stage} has no max-pool to make stride 1 '
                    '(the last stage has none when with_last_pool=False)'
                )
            layers[last] = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
