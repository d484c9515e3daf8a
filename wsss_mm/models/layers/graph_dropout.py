"""Graph dropout of Group-WSSS (seed 004, Eqs. 10-11), an attention-based
dropout layer (ADL, Choe and Shim, CVPR 2019)."""

from typing import Union

import torch
import torch.nn as nn

from wsss_mm.registry import MODELS

GRAPH_DROPOUT_MODES = ('paper', 'authors')
GRAPH_DROPOUT_DRAWS = ('batch', 'node')


@MODELS.register_module()
class GraphDropout(nn.Module):
    """Hides the most activated regions of a feature map, at random.

    From X. Li et al., "Group-Wise Semantic Mining for Weakly Supervised
    Semantic Segmentation" (AAAI 2021), Eqs. 10-11, as the authors' code
    (``Lixy1997/Group-WSSS``, ``models/vgg_gnn.py``) implements it, which is
    ADL. The attention ``o`` is the channel mean of ``x``. With probability
    ``drop_rate`` (δ_r) the mask is the binary drop mask
    ``1(o < drop_threshold · max(o))`` (δ_d, max over each image's positions),
    which hides the most discriminative regions; otherwise it is the
    importance map ``sigmoid(o)``. The draw is

    - ``'batch'`` (default, ADL's): one draw per call, shared by the batch;
    - ``'node'``: one draw per image (graph node), as the authors' code, which
      calls the layer once per node.

    The output is

    - ``'paper'`` (default, Eq. 11): ``x ⊙ mask``;
    - ``'authors'``: ``(x ⊙ mask + x) / 2``, what the authors' code returns.

    Eq. 10 as printed takes the importance map when ``r < δ_r`` and writes the
    drop mask as ``o · 1(...)``; the code and the ablation (δ_r = 0.8 is "the
    drop rate") drop with probability δ_r, with a binary mask, as here.

    The layer is the identity in eval mode: it is a training regulariser. The
    authors' code also applies it at inference (a bug: the test-time maps
    then depend on a random draw).

    Args:
        drop_rate (float): δ_r in [0, 1], the probability of the drop mask (0.8).
        drop_threshold (float): δ_d, the fraction of the image's maximum
            attention above which positions are dropped (0.7).
        mode (str): ``'paper'`` or ``'authors'``, see above. Default: 'paper'.
        draw (str): ``'batch'`` or ``'node'``, see above. Default: 'batch'.
    """

    def __init__(
        self,
        drop_rate: float = 0.8,
        drop_threshold: float = 0.7,
        mode: str = 'paper',
        draw: str = 'batch',
    ) -> None:
        super().__init__()
        if not 0.0 <= drop_rate <= 1.0:
            raise ValueError(f'drop_rate must be in [0, 1], got {drop_rate}')
        if mode not in GRAPH_DROPOUT_MODES:
            raise ValueError(
                f'graph dropout mode must be one of {GRAPH_DROPOUT_MODES}, got "{mode}"'
            )
        if draw not in GRAPH_DROPOUT_DRAWS:
            raise ValueError(
                f'graph dropout draw must be one of {GRAPH_DROPOUT_DRAWS}, got "{draw}"'
            )
        self.drop_rate = drop_rate
        self.drop_threshold = drop_threshold
        self.mode = mode
        self.draw = draw

    def mask(self, x: torch.Tensor, drop: Union[bool, torch.Tensor]) -> torch.Tensor:
        """The mask ``s`` of Eq. 10.

        Args:
            x (Tensor): (B, C, h, w) features.
            drop (bool | Tensor): bool, or (B,) bool per image: the drop mask
                where True, else the importance map.

        Returns:
            Tensor: (B, 1, h, w).
        """
        attention = x.mean(dim=1, keepdim=True)
        peak = attention.flatten(1).amax(dim=1).view(-1, 1, 1, 1)
        drop_mask = (attention < self.drop_threshold * peak).to(x.dtype)
        drop = torch.as_tensor(drop, device=x.device).view(-1, 1, 1, 1)
        return torch.where(drop, drop_mask, torch.sigmoid(attention))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x (Tensor): (B, C, h, w) features.

        Returns:
            Tensor: (B, C, h, w); ``x`` itself in eval mode.
        """
        if not self.training:
            return x
        draws = len(x) if self.draw == 'node' else 1
        drop = torch.rand(draws, device=x.device) < self.drop_rate
        masked = x * self.mask(x, drop)
        if self.mode == 'authors':
            return (masked + x) / 2
        return masked
