"""ResNeSt with dilated stages built as the original ResNeSt code builds them
(the CAM networks of Puzzle-CAM, OC-CSE, P-OC and P-NOC)."""

import torch.nn as nn
from mmpretrain.models.backbones import ResNeSt

from wsss_mm.registry import MODELS


@MODELS.register_module()
class DilatedResNeSt(ResNeSt):
    """MMPretrain's :class:`~mmpretrain.models.backbones.ResNeSt` whose dilated
    stages follow the original ResNeSt code (``zhanghang1989/ResNeSt``, copied
    by ``lucasdavid/PNOC`` as ``core/backbones/arch_resnest/resnet.py``).

    MMPretrain gives every block of a stage with dilation ``d`` the dilation
    ``d``. In the original code the first block of such a stage differs:

    - its 3x3 split-attention convolution has dilation ``d // 2`` (1 for the
      output stride 16 of the seed 002 thesis: ``dilation=2`` there);
    - it keeps its 3x3 average pool after that convolution ("avd", every
      stage's first block but the first stage's), with stride 1 when the
      stage has stride 1; MMPretrain adds that pool only to strided blocks.

    The other blocks use ``d``. ResNeSt-269 at output stride 16, as P-NOC's
    ``Classifier('resnest269', dilated=False)`` builds it::

        DilatedResNeSt(depth=269, stem_channels=128, strides=(1, 2, 2, 1),
                       dilations=(1, 1, 1, 2))
        (B, 3, H, W) -> (B, 2048, H / 16, W / 16)

    The average pool has no parameters, so MMPretrain's ResNeSt checkpoints
    load unchanged (``init_cfg=dict(type='Pretrained', ...)``).

    Args:
        **kwargs: MMPretrain's ``ResNeSt`` arguments (``depth``, ``strides``,
            ``dilations``, ``stem_channels``, ``norm_cfg``, ``init_cfg``, ...).
    """

    def make_res_layer(self, **kwargs) -> nn.Sequential:
        """MMPretrain's stage; a dilated stage's first block is then changed
        as the class docstring says."""
        layer = super().make_res_layer(**kwargs)
        dilation = kwargs.get('dilation', 1)
        if dilation > 1:
            first = layer[0]
            conv = first.conv2.conv
            conv.dilation = conv.padding = (dilation // 2, dilation // 2)
            if not first.avg_down_stride:  # stride 1: the pool MMPretrain leaves out
                first.avg_down_stride = True
                first.avd_layer = nn.AvgPool2d(3, 1, padding=1)
        return layer
