"""ResNet-38d, the "wide ResNet-38" of Wu et al., as used by PSA, SEAM and others.

The parameter names follow the PyTorch ports of jiwoon-ahn/psa and YudeWang/SEAM
(``conv1a.weight``, ``b2.bn_branch2a.weight``, ``b4_5.conv_branch2b1.weight``,
``b6.conv_branch2b2.weight``, ``bn7.running_var``, ...), so that the ImageNet
weights converted by ``tools/model_converters/resnet38d_mxnet2torch.py`` (and the
``.pth`` files of those projects) load with strict key matching. See ``docs/models/resnet38d.md``.
"""

import os.path as osp
import zipfile
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmengine.runner import CheckpointLoader
from torch.nn.modules.batchnorm import _BatchNorm

from wsss_mm.registry import MODELS

#: File name of the ImageNet weights of Wu et al. (an MXNet ``.params`` file).
MXNET_IMAGENET_PARAMS = 'ilsvrc-cls_rna-a1_cls1000_ep-0001.params'

#: Key prefixes of ImageNet classifier heads; ignored when loading a backbone.
CLASSIFIER_PREFIXES = ('linear1000.', 'fc.', 'head.')


class _PreActBlock(nn.Module):
    """Pre-activation residual block with two 3x3 convolutions.

    ``BN -> ReLU -> conv3x3 (stride, first_dilation) -> BN -> ReLU -> conv3x3
    (dilation)``; the shortcut is the identity, or ``conv_branch1`` (1x1, stride)
    applied to the pre-activated input when the shape changes.

    Args:
        in_channels (int): input channels.
        mid_channels (int): channels after the first conv.
        out_channels (int): output channels.
        stride (int): stride of the first conv and of the projection.
        first_dilation (int): dilation (= padding) of the first conv.
        dilation (int): dilation (= padding) of the second conv.
        norm_cfg (dict): config of the normalization layers.
    """

    def __init__(
        self,
        in_channels: int,
        mid_channels: int,
        out_channels: int,
        stride: int,
        first_dilation: int,
        dilation: int,
        norm_cfg: dict,
    ) -> None:
        super().__init__()
        self.bn_branch2a = build_norm_layer(norm_cfg, in_channels)[1]
        self.conv_branch2a = nn.Conv2d(
            in_channels,
            mid_channels,
            3,
            stride,
            padding=first_dilation,
            dilation=first_dilation,
            bias=False,
        )
        self.bn_branch2b1 = build_norm_layer(norm_cfg, mid_channels)[1]
        self.conv_branch2b1 = nn.Conv2d(
            mid_channels, out_channels, 3, padding=dilation, dilation=dilation, bias=False
        )
        if in_channels != out_channels or stride != 1:
            self.conv_branch1 = nn.Conv2d(in_channels, out_channels, 1, stride, bias=False)
        else:
            self.conv_branch1 = None

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Returns ``(output, pre-activated input)``.

        The pre-activated input ``relu(bn_branch2a(x))`` is the normalized
        feature of the previous block, exposed by :class:`ResNet38d`.
        """
        preact = F.relu(self.bn_branch2a(x))
        shortcut = x if self.conv_branch1 is None else self.conv_branch1(preact)
        y = self.conv_branch2a(preact)
        y = self.conv_branch2b1(F.relu(self.bn_branch2b1(y)))
        return shortcut + y, preact


class _PreActBottleneck(nn.Module):
    """Pre-activation bottleneck block with channel dropout (b6 and b7).

    ``BN -> ReLU -> conv1x1 (out/4) -> BN -> ReLU -> Dropout2d -> conv3x3
    (out/2, dilation) -> BN -> ReLU -> Dropout2d -> conv1x1 (out)``, with the
    1x1 projection ``conv_branch1`` on the pre-activated input as shortcut
    (these blocks always change the width).

    Args:
        in_channels (int): input channels.
        out_channels (int): output channels.
        dilation (int): dilation (= padding) of the 3x3 conv.
        dropout (float): probability of both ``Dropout2d`` layers.
        norm_cfg (dict): config of the normalization layers.
    """

    def __init__(
        self, in_channels: int, out_channels: int, dilation: int, dropout: float, norm_cfg: dict
    ) -> None:
        super().__init__()
        self.bn_branch2a = build_norm_layer(norm_cfg, in_channels)[1]
        self.conv_branch2a = nn.Conv2d(in_channels, out_channels // 4, 1, bias=False)
        self.bn_branch2b1 = build_norm_layer(norm_cfg, out_channels // 4)[1]
        self.dropout_2b1 = nn.Dropout2d(dropout)
        self.conv_branch2b1 = nn.Conv2d(
            out_channels // 4, out_channels // 2, 3, padding=dilation, dilation=dilation, bias=False
        )
        self.bn_branch2b2 = build_norm_layer(norm_cfg, out_channels // 2)[1]
        self.dropout_2b2 = nn.Dropout2d(dropout)
        self.conv_branch2b2 = nn.Conv2d(out_channels // 2, out_channels, 1, bias=False)
        self.conv_branch1 = nn.Conv2d(in_channels, out_channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Returns ``(output, pre-activated input)``."""
        preact = F.relu(self.bn_branch2a(x))
        shortcut = self.conv_branch1(preact)
        y = self.conv_branch2a(preact)
        y = self.conv_branch2b1(self.dropout_2b1(F.relu(self.bn_branch2b1(y))))
        y = self.conv_branch2b2(self.dropout_2b2(F.relu(self.bn_branch2b2(y))))
        return shortcut + y, preact


@MODELS.register_module()
class ResNet38d(BaseModule):
    """ResNet-38d, the wide ResNet-38 with dilated last stages (output stride 8).

    From Z. Wu, C. Shen and A. van den Hengel, "Wider or Deeper: Revisiting the
    ResNet Model for Visual Recognition", Pattern Recognition 90, 2019, in the
    dilated form used for weakly supervised segmentation by PSA (Ahn & Kwak,
    CVPR 2018), SEAM (Wang et al., CVPR 2020) and their successors.

    Layout (all residual blocks are pre-activation blocks, BN eps 1e-5):

    ======  ===================================  ============  ======
    stage   blocks                               channels      stride
    ======  ===================================  ============  ======
    conv1a  3x3 conv                             3 -> 64       1
    b2      b2, b2_1, b2_2                       64 -> 128     2
    b3      b3, b3_1, b3_2                       128 -> 256    4
    b4      b4, b4_1 .. b4_5                     256 -> 512    8
    b5      b5, b5_1, b5_2 (dilation 2)          512 -> 1024   8
    b6      bottleneck, dilation 4, dropout 0.3  1024 -> 2048  8
    b7      bottleneck, dilation 4, dropout 0.5  2048 -> 4096  8
    bn7     BN + ReLU on the output of b7        4096          8
    ======  ===================================  ============  ======

    Exposed features, selected by ``out_indices``. Every feature is normalized
    and rectified: the output of a stage after the ``bn_branch2a`` + ReLU of the
    next block (the "x_bn_relu" features of the PSA and SEAM code), and the
    output of b7 after ``bn7`` + ReLU. The conv4, conv5 and conv6 features of
    PSA's and SEAM's ``forward_as_dict`` are the indices 1, 2 and 4.

    =====  ===================================  ========  ======
    index  feature                              channels  stride
    =====  ===================================  ========  ======
    0      b3_2 output, b4.bn_branch2a + ReLU   256       4
    1      b4_5 output, b5.bn_branch2a + ReLU   512       8
    2      b5_2 output, b6.bn_branch2a + ReLU   1024      8
    3      b6 output, b7.bn_branch2a + ReLU     2048      8
    4      b7 output, bn7 + ReLU                4096      8
    =====  ===================================  ========  ======

    The CAM networks of the field train this backbone with ``frozen_stages=2``
    (conv1a, b2, b2_1, b2_2 frozen), ``norm_eval=True`` and
    ``norm_cfg=dict(type='BN', eps=1e-5, requires_grad=False)`` (every BN
    frozen, affine parameters included): these are the defaults.

    Args:
        out_indices (Sequence[int]): indices (0..4, table above) of the features
            to return, in this order. Defaults to ``(4,)``.
        frozen_stages (int): stages whose parameters get ``requires_grad=False``
            and whose BNs stay in eval mode: 0 = none, 1 = conv1a, k in 2..7 =
            conv1a and the blocks b2* .. bk* (7 includes bn7). Defaults to 2.
        norm_eval (bool): keep every BN layer in eval mode (running statistics
            frozen) while training. Defaults to True.
        norm_cfg (dict): config of the normalization layers (mmcv
            ``build_norm_layer``); ``requires_grad`` sets whether their affine
            parameters are trained. Defaults to
            ``dict(type='BN', eps=1e-5, requires_grad=False)``.
        init_cfg (dict | list[dict], optional): mmengine init config. Typical:
            ``dict(type='Pretrained', checkpoint='pretrain/resnet38d.pth')``,
            loaded strictly by :meth:`init_weights`. Defaults to Kaiming
            initialization of the convs (BNs keep weight 1, bias 0).
    """

    #: Channels of the features at indices 0..4.
    out_channels: Tuple[int, ...] = (256, 512, 1024, 2048, 4096)
    #: Strides of the features at indices 0..4, relative to the input.
    out_strides: Tuple[int, ...] = (4, 8, 8, 8, 8)
    #: Block names per stage (stage 2..7); stage 1 is conv1a.
    stage_blocks: Tuple[Tuple[str, ...], ...] = (
        ('b2', 'b2_1', 'b2_2'),
        ('b3', 'b3_1', 'b3_2'),
        ('b4', 'b4_1', 'b4_2', 'b4_3', 'b4_4', 'b4_5'),
        ('b5', 'b5_1', 'b5_2'),
        ('b6',),
        ('b7',),
    )

    def __init__(
        self,
        out_indices: Sequence[int] = (4,),
        frozen_stages: int = 2,
        norm_eval: bool = True,
        norm_cfg: dict = dict(type='BN', eps=1e-5, requires_grad=False),
        init_cfg: Optional[Union[dict, List[dict]]] = None,
    ) -> None:
        if init_cfg is None:
            init_cfg = dict(type='Kaiming', layer='Conv2d')
        super().__init__(init_cfg=init_cfg)
        out_indices = tuple(out_indices)
        if not out_indices or any(i not in range(len(self.out_channels)) for i in out_indices):
            raise ValueError(
                f'out_indices must be a non-empty subset of '
                f'0..{len(self.out_channels) - 1}, got '
                f'{out_indices}'
            )
        if frozen_stages not in range(len(self.stage_blocks) + 2):
            raise ValueError(
                f'frozen_stages must be in 0..{len(self.stage_blocks) + 1}, got {frozen_stages}'
            )
        self.out_indices = out_indices
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval

        self.conv1a = nn.Conv2d(3, 64, 3, padding=1, bias=False)
        # (in, mid, out, stride, first_dilation, dilation) of the first block
        # of b2 .. b5; the next blocks map out -> mid -> out with dilation.
        plain = [
            (64, 128, 128, 2, 1, 1),
            (128, 256, 256, 2, 1, 1),
            (256, 512, 512, 2, 1, 1),
            (512, 512, 1024, 1, 1, 2),
        ]
        for stage, (cin, mid, cout, stride, first_dil, dil) in zip(self.stage_blocks, plain):
            for i, block in enumerate(stage):
                if i == 0:
                    args = (cin, mid, cout, stride, first_dil, dil)
                else:
                    args = (cout, mid, cout, 1, dil, dil)
                self.add_module(block, _PreActBlock(*args, norm_cfg=norm_cfg))
        self.b6 = _PreActBottleneck(1024, 2048, 4, 0.3, norm_cfg)
        self.b7 = _PreActBottleneck(2048, 4096, 4, 0.5, norm_cfg)
        self.bn7 = build_norm_layer(norm_cfg, 4096)[1]
        self._freeze_stages()

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Computes the selected features.

        Args:
            x (Tensor): images, (N, 3, H, W).

        Returns:
            tuple[Tensor]: the features of ``out_indices``, in that order; e.g.
            index 0 is (N, 256, H/4, W/4) and index 4 (N, 4096, H/8, W/8)
            (sizes rounded up).
        """
        x = self.conv1a(x)
        feats = []
        for stage_idx, stage in enumerate(self.stage_blocks):
            for block_idx, name in enumerate(stage):
                x, preact = getattr(self, name)(x)
                # The first block of stages b4..b7 normalizes the output of
                # the previous stage (b3..b6): the features 0..3.
                if block_idx == 0 and stage_idx >= 2:
                    feats.append(preact)
        feats.append(F.relu(self.bn7(x)))
        return tuple(feats[i] for i in self.out_indices)

    def _frozen_modules(self) -> List[nn.Module]:
        """Modules of the first ``frozen_stages`` stages."""
        if self.frozen_stages == 0:
            return []
        modules = [self.conv1a]
        for stage in self.stage_blocks[: self.frozen_stages - 1]:
            modules += [getattr(self, name) for name in stage]
        if self.frozen_stages == len(self.stage_blocks) + 1:
            modules.append(self.bn7)
        return modules

    def _freeze_stages(self) -> None:
        """Sets ``requires_grad=False`` and eval mode on the frozen stages."""
        for module in self._frozen_modules():
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'ResNet38d':
        """Sets the training mode, keeping frozen stages (and, with
        ``norm_eval``, every BN layer) in eval mode."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self

    def init_weights(self) -> None:
        """Initializes the weights, loading a ``Pretrained`` checkpoint strictly.

        With ``init_cfg=dict(type='Pretrained', checkpoint=PATH)``, ``PATH`` (a
        local file, or a URL that mmengine can open) holds a state dict, bare or
        under ``'state_dict'``; a leading ``module.`` and ``backbone.`` are
        stripped from its keys (when some keys start with ``backbone.``, only
        those are used). Keys that the backbone does not have, such as the
        ImageNet classifier ``linear1000.*``, are ignored with a logged note.
        Other init configs go through mmengine.

        Raises:
            FileNotFoundError: ``PATH`` is a local path that does not exist.
            KeyError: the checkpoint lacks some of the backbone's parameters.
            RuntimeError: a parameter has the wrong shape.
        """
        if not (isinstance(self.init_cfg, dict) and self.init_cfg.get('type') == 'Pretrained'):
            super().init_weights()
            return
        path = self.init_cfg['checkpoint']
        if '://' in path:
            checkpoint = CheckpointLoader.load_checkpoint(path, map_location='cpu')
        elif not osp.isfile(path):
            raise FileNotFoundError(
                f'ResNet-38d pretrained checkpoint not found: {path!r}. The '
                f'ImageNet weights of ResNet-38d come as an MXNet file '
                f'({MXNET_IMAGENET_PARAMS}) that must be converted to a .pth '
                f'with tools/model_converters/resnet38d_mxnet2torch.py; see '
                f'docs/models/resnet38d.md.'
            )
        else:
            # Memory-mapping (zip checkpoints only; the legacy format of old
            # PyTorch ports cannot be mapped) avoids a second in-memory copy.
            checkpoint = torch.load(
                path, map_location='cpu', weights_only=True, mmap=zipfile.is_zipfile(path)
            )
        self.load_state_dict(self._backbone_state(checkpoint, path), strict=True)
        print_log(f'ResNet38d: loaded pretrained weights from {path}', logger='current')
        self._is_init = True

    def _backbone_state(self, checkpoint: Mapping, path: str) -> Dict[str, torch.Tensor]:
        """Extracts this backbone's state dict from a loaded checkpoint."""
        state = checkpoint.get('state_dict', checkpoint)
        state = {k[len('module.') :] if k.startswith('module.') else k: v for k, v in state.items()}
        if any(k.startswith('backbone.') for k in state):
            others = [k for k in state if not k.startswith('backbone.')]
            if others:
                print_log(
                    f'ResNet38d: ignored {len(others)} keys outside "backbone." in {path}',
                    logger='current',
                )
            state = {
                k[len('backbone.') :]: v for k, v in state.items() if k.startswith('backbone.')
            }
        expected = self.state_dict()
        # BN counters are absent from converted MXNet weights; PyTorch fills
        # them in when loading a state dict without them.
        missing = [k for k in expected if k not in state and not k.endswith('num_batches_tracked')]
        if missing:
            raise KeyError(f'{path} lacks {len(missing)} ResNet-38d keys: {", ".join(missing)}')
        extra = sorted(k for k in state if k not in expected)
        if extra:
            classifier = [k for k in extra if k.startswith(CLASSIFIER_PREFIXES)]
            other = [k for k in extra if k not in classifier]
            print_log(
                f'ResNet38d: ignored {len(classifier)} classifier keys '
                f'and {len(other)} other unused keys of {path}'
                + (f': {", ".join(other)}' if other else ''),
                logger='current',
            )
        return {k: v for k, v in state.items() if k in expected}
