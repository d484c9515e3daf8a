"""Pixel Correlation Module (PCM) of SEAM, as used by CPN."""

from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from wsss_mm.registry import MODELS


@MODELS.register_module()
class PCM(BaseModule):
    """Pixel Correlation Module: class maps propagated by feature affinity.

    From Y. Wang et al., "Self-supervised Equivariant Attention Mechanism for
    Weakly Supervised Semantic Segmentation" (SEAM, CVPR 2020), in the form of
    F. Zhang et al., "Complementary Patch for Weakly Supervised Semantic
    Segmentation" (CPN, ICCV 2021), Eqs. 9-10 and Fig. 4.

    The features ``X`` (:meth:`aggregate`) are the image resized to the map's
    grid and ReLU'd 1x1 projections of backbone stages, which are detached: no
    gradient of the module reaches the backbone. With ``g`` a 1x1 conv and
    ``ĝ = g(X) / ||g(X)||_2`` per pixel, the affinity ``J = ReLU(ĝᵀ ĝ)`` (HW x
    HW) is normalised to sum 1 over each column, and ``Y_pcm = Y J``: each
    pixel's maps become the affinity-weighted mean of the maps of the pixels
    that look like it.

    Args:
        stage_channels (Sequence[int]): channels of the backbone stages
            aggregated into ``X`` (ResNet-38d b4, b5 outputs: 512, 1024).
        proj_channels (Sequence[int]): channels of their 1x1 projections
            (64, 128 in SEAM / CPN).
        embed_channels (int): channels of ``g(X)`` (192).
        image_channels (int): channels of the image in ``X`` (3).
        init_cfg (dict | list[dict], optional): default Kaiming (fan-in) for
            the projections and Xavier (uniform, gain 4) for ``g``, as SEAM /
            CPN.
    """

    def __init__(
        self,
        stage_channels: Sequence[int] = (512, 1024),
        proj_channels: Sequence[int] = (64, 128),
        embed_channels: int = 192,
        image_channels: int = 3,
        init_cfg: Optional[Union[dict, list]] = dict(
            type='Kaiming',
            layer='Conv2d',
            mode='fan_in',
            override=dict(name='embed', type='Xavier', gain=4, distribution='uniform'),
        ),
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(stage_channels) != len(proj_channels):
            raise ValueError(
                f'stage_channels {tuple(stage_channels)} and proj_channels '
                f'{tuple(proj_channels)} must have the same length'
            )
        self.projs = nn.ModuleList(
            nn.Conv2d(cin, cout, 1, bias=False) for cin, cout in zip(stage_channels, proj_channels)
        )
        self.in_channels = image_channels + sum(proj_channels)
        self.embed = nn.Conv2d(self.in_channels, embed_channels, 1, bias=False)

    def aggregate(
        self, image: torch.Tensor, stage_feats: Sequence[torch.Tensor], size: Tuple[int, int]
    ) -> torch.Tensor:
        """The features ``X``, from detached inputs.

        Args:
            image (Tensor): (B, 3, H, W) normalised images.
            stage_feats (Sequence[Tensor]): backbone features (B, C_i, h_i, w_i),
                one per projection.
            size (tuple[int, int]): (h, w), the grid of the class maps.

        Returns:
            Tensor: (B, in_channels, h, w).
        """
        if len(stage_feats) != len(self.projs):
            raise ValueError(
                f'PCM aggregates {len(self.projs)} backbone stages, got {len(stage_feats)} features'
            )
        parts = [_resize(image.detach(), size)]
        for proj, feat in zip(self.projs, stage_feats):
            parts.append(_resize(F.relu(proj(feat.detach())), size))
        return torch.cat(parts, dim=1)

    def forward(self, cams: torch.Tensor, feats: torch.Tensor) -> torch.Tensor:
        """Eqs. 9-10.

        Args:
            cams (Tensor): (B, K, h', w') class maps ``Y`` (resized to the
                features' grid when it differs).
            feats (Tensor): (B, in_channels, h, w) features ``X``.

        Returns:
            Tensor: (B, K, h, w) ``Y_pcm``; in the range of ``cams``.
        """
        batch, num_maps = cams.shape[:2]
        height, width = feats.shape[-2:]
        cams = _resize(cams, (height, width))
        return (cams.flatten(2) @ self.affinity(feats)).view(batch, num_maps, height, width)

    def affinity(self, feats: torch.Tensor) -> torch.Tensor:
        """``J = ReLU(ĝᵀ ĝ)``, each column normalised to sum 1: column ``j``
        holds the weights of the mean that makes pixel ``j``'s maps.

        Args:
            feats (Tensor): (B, in_channels, h, w) features ``X``.

        Returns:
            Tensor: (B, h w, h w).
        """
        emb = self.embed(feats).flatten(2)
        emb = emb / (emb.norm(dim=1, keepdim=True) + 1e-5)
        aff = F.relu(emb.transpose(1, 2) @ emb)
        return aff / (aff.sum(dim=1, keepdim=True) + 1e-5)


def _resize(x: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
    """Bilinear resize (corners aligned, as SEAM / CPN) unless already ``size``."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size=tuple(size), mode='bilinear', align_corners=True)
