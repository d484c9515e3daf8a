"""Pixel-Region Correlation Module (PRCM) of CPN."""

from typing import Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from wsss_mm.registry import MODELS


@MODELS.register_module()
class PRCM(BaseModule):
    """Pixel-Region Correlation Module: class maps reweighted by their relation
    to class-region contexts.

    From F. Zhang et al., "Complementary Patch for Weakly Supervised Semantic
    Segmentation" (CPN, ICCV 2021), Eqs. 11-12 and Fig. 4, after the
    object-contextual representations of Yuan et al. (ECCV 2020).

    With ``Y`` the K class maps and ``X`` the aggregated features (see
    :meth:`PCM.aggregate`): the region contexts ``Z = softmax_pixels(Y) Xᵀ``
    (K x C1), their keys ``φ(Z) = ReLU(Z Φᵀ)`` (K x E), the pixel-region relation
    ``P_R = s · φ(Z) q`` (K x HW) with ``q`` the pixel embeddings (E x HW) and
    ``s = K^-1/2``, and ``Y_prcm = Y ∘ softmax_pixels(P_R)``. CPN takes ``q =
    ReLU(g(X))`` with PCM's ``g``, shared between the two modules as in Eq. 11
    and ``Ferenas/CPN``.

    Args:
        in_channels (int): C1, channels of ``X`` (195 in CPN).
        embed_channels (int): E, channels of the keys and of ``q`` (192).
        scale (float, optional): ``s``; default ``K^-1/2`` (``Ferenas/CPN``
            uses 21^-1/2 on VOC).
        code_key_view (bool): reshape the keys as ``Ferenas/CPN`` does
            (``.view(n, 21, -1)`` of the (E, K) conv output, which interleaves
            classes and channels) instead of transposing them.
        init_cfg (dict, optional): default Xavier (uniform, gain 4) for ``Φ``,
            as ``Ferenas/CPN``.
    """

    def __init__(
        self,
        in_channels: int = 195,
        embed_channels: int = 192,
        scale: Optional[float] = None,
        code_key_view: bool = False,
        init_cfg: Optional[Union[dict, list]] = dict(
            type='Xavier', layer='Linear', gain=4, distribution='uniform'
        ),
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.key = nn.Linear(in_channels, embed_channels, bias=False)
        self.scale = scale
        self.code_key_view = code_key_view

    def forward(self, cams: torch.Tensor, feats: torch.Tensor, query: torch.Tensor) -> torch.Tensor:
        """Eqs. 11-12.

        Args:
            cams (Tensor): (B, K, h, w) class maps ``Y``.
            feats (Tensor): (B, C1, h, w) features ``X``.
            query (Tensor): (B, E, h, w) pixel embeddings ``q``.

        Returns:
            Tensor: (B, K, h, w) ``Y_prcm``; in ``[0, max Y]`` for ``Y >= 0``.
        """
        batch, num_maps, height, width = cams.shape
        probs = F.softmax(cams.flatten(2), dim=-1)
        context = probs @ feats.flatten(2).transpose(1, 2)
        keys = F.relu(self.key(context))
        if self.code_key_view:
            keys = keys.transpose(1, 2).reshape(batch, num_maps, -1)
        scale = self.scale if self.scale is not None else num_maps**-0.5
        relation = scale * (keys @ query.flatten(2))
        weights = F.softmax(relation, dim=-1).view(batch, num_maps, height, width)
        return cams * weights
