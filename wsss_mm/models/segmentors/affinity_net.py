"""AffinityNet (Ahn & Kwak, CVPR 2018): pixel-pair semantic affinities for the
random walk that turns CAMs into pseudo masks."""

from typing import List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModel
from mmseg.models.utils import resize
from mmseg.structures import SegDataSample

from wsss_mm.registry import MODELS

from ..utils.affinity import neighbour_affinity, pair_targets


@MODELS.register_module()
class AffinityNet(BaseModel):
    """PSA's AffinityNet.

    Several backbone levels are projected by 1x1 convolutions (+ ELU), resized
    to the first level's size, concatenated and embedded by a 1x1 convolution
    (+ ELU) into affinity features f; the affinity of two positions within
    ``radius`` is ``exp(-mean_d |f_i - f_j|)`` (:mod:`wsss_mm.models.utils.affinity`).

    Training targets are affinity labels (confident CAM regions, 255 =
    ignore; :func:`wsss_mm.refine.affinity_labels.affinity_labels`) given as
    ``gt_sem_seg``, resized (nearest) to the feature size. The three-way loss
    of PSA averages ``-log a`` over background pairs and over same-class
    foreground pairs, and ``-log(1 - a)`` over pairs of different classes,
    weighted by ``loss_weights`` (PSA: 1/4, 1/4, 1/2).

    Args:
        backbone (dict): returns a tuple of feature maps, e.g.
            ``mmpretrain.ResNet`` with ``out_indices=(1, 2, 3)``.
        in_channels (Sequence[int]): channels of the backbone outputs.
        channels (Sequence[int]): projected channels per level (PSA: 64, 128,
            256).
        embed_channels (int): D, the affinity feature size (PSA: 448).
        radius (int): pairs closer than this, in feature-map positions (PSA: 5).
        loss_weights (Sequence[float]): weights of the background-positive,
            foreground-positive and negative terms.
        norm_cfg (dict, optional): normalisation of the projections (PSA: none).
        data_preprocessor (dict, optional): e.g. ``mmseg.SegDataPreProcessor``.
        init_cfg (dict, optional): MMEngine init config (the new convolutions
            are Kaiming-initialised by ``ConvModule``).
    """

    def __init__(
        self,
        backbone: dict,
        in_channels: Sequence[int],
        channels: Sequence[int] = (64, 128, 256),
        embed_channels: int = 448,
        radius: int = 5,
        loss_weights: Sequence[float] = (0.25, 0.25, 0.5),
        norm_cfg: Optional[dict] = None,
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if len(in_channels) != len(channels):
            raise ValueError(
                f'AffinityNet: in_channels {tuple(in_channels)} and channels '
                f'{tuple(channels)} must list one entry per backbone level'
            )
        if len(loss_weights) != 3:
            raise ValueError(
                f'AffinityNet: loss_weights are (bg_pos, fg_pos, neg), got {tuple(loss_weights)}'
            )
        self.backbone = MODELS.build(backbone)
        act = dict(type='ELU')
        self.lateral_convs = nn.ModuleList(
            ConvModule(c_in, c, 1, bias=False, norm_cfg=norm_cfg, act_cfg=act)
            for c_in, c in zip(in_channels, channels)
        )
        self.embed = ConvModule(
            sum(channels), embed_channels, 1, bias=False, norm_cfg=norm_cfg, act_cfg=act
        )
        self.radius = radius
        self.loss_weights = tuple(loss_weights)

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """
        Args:
            inputs (Tensor): (B, 3, H, W) normalised images.

        Returns:
            Tensor: (B, D, h, w) affinity features at the first level's size.
        """
        levels = self.backbone(inputs)
        if len(levels) != len(self.lateral_convs):
            raise ValueError(
                f'AffinityNet: the backbone gives {len(levels)} feature maps '
                f'but in_channels lists {len(self.lateral_convs)}'
            )
        size = levels[0].shape[-2:]
        projected = [
            resize(conv(x), size=size, mode='bilinear', align_corners=False)
            if x.shape[-2:] != size
            else conv(x)
            for conv, x in zip(self.lateral_convs, levels)
        ]
        return self.embed(torch.cat(projected, dim=1))

    def forward(
        self,
        inputs: torch.Tensor,
        data_samples: Optional[List[SegDataSample]] = None,
        mode: str = 'tensor',
    ) -> Union[dict, torch.Tensor]:
        """``mode='loss'``: the affinity losses; ``mode='tensor'``: the
        affinity features (B, D, h, w). Pseudo masks come from
        :func:`wsss_mm.refine.random_walk.walk_cams` on these features."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'tensor':
            return self.extract_feat(inputs)
        raise ValueError(f'AffinityNet supports mode "loss" and "tensor", got "{mode}"')

    def loss(self, inputs: torch.Tensor, data_samples: List[SegDataSample]) -> dict:
        """PSA's three-way affinity loss of a batch.

        Returns:
            dict: ``loss_aff_bg``, ``loss_aff_fg`` and ``loss_aff_neg``, each
            already weighted.
        """
        feats = self.extract_feat(inputs)
        labels = torch.stack([s.gt_sem_seg.data for s in data_samples]).float()
        labels = F.interpolate(labels, size=feats.shape[-2:], mode='nearest')[:, 0].long()
        aff = neighbour_affinity(feats, self.radius)
        bg_pos, fg_pos, neg = pair_targets(labels, self.radius)
        terms = (-torch.log(aff + 1e-5), -torch.log(-aff + 1 + 1e-5))
        w_bg, w_fg, w_neg = self.loss_weights
        return dict(
            loss_aff_bg=w_bg * masked_mean(terms[0], bg_pos),
            loss_aff_fg=w_fg * masked_mean(terms[0], fg_pos),
            loss_aff_neg=w_neg * masked_mean(terms[1], neg),
        )


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``values`` where ``mask`` is set; 0 (with a gradient path) when
    the mask is empty."""
    return (values * mask).sum() / (mask.sum() + 1e-5)
