"""The contrastive losses of C²AM: Eq. 7 of the P-NOC thesis (seed 002), after
J. Xie et al., "C²AM: Contrastive learning of class-agnostic activation map for
weakly supervised object localization and semantic segmentation" (CVPR 2022).

Both work on one feature vector per image and partition, ``v^f`` (foreground)
and ``v^b`` (background), shape (n, K) for a batch of n images, through cosine
similarities clamped to ``[0.0005, 0.9995]`` (``lucasdavid/PNOC``
``core/ccam.py``: ``cos_simi``).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

from wsss_mm.registry import MODELS

#: the range cosine similarities are clamped to before the logarithms
SIM_RANGE = (0.0005, 0.9995)


def clamped_cosine(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Cosine similarity of every row of ``a`` with every row of ``b``.

    Args:
        a (Tensor): (n, K).
        b (Tensor): (m, K).

    Returns:
        Tensor: (n, m) in ``SIM_RANGE``.
    """
    sim = F.normalize(a, dim=1) @ F.normalize(b, dim=1).t()
    return sim.clamp(*SIM_RANGE)


@MODELS.register_module()
class SimMaxLoss(nn.Module):
    """``L_pos``: pulls the vectors of one partition (all foregrounds, or all
    backgrounds) of a batch together, most of all the most similar pairs.

    ``L_pos = mean_ij w_ij (-log s_ij)`` with ``w_ij = exp(-alpha rank_i(s_ij))``,
    the rank of ``s_ij`` among the similarities of row i, most similar first.

    Paper and code differ; the default is the code (``lucasdavid/PNOC``
    ``core/ccam.py``, ``SimMaxLoss``), which gave the thesis' numbers:

    - ``exclude_self=False`` (code): the mean over all n² pairs, the diagonal
      included (``s_ii`` is clamped to 0.9995, so it adds ``-log 0.9995`` at
      weight ``exp(alpha)``); ranks count from -1 (``rank - 1``: the image
      itself comes first), so the most similar other image has weight 1.
    - ``exclude_self=True`` (Eq. 7): the mean over the n(n-1) pairs i != j,
      ranked among them from 0 (the same weights for those pairs).

    Args:
        alpha (float): rank decay of the weights. Default: 0.25 (C²AM).
        exclude_self (bool): leave out the pairs i = j (Eq. 7). Default: False.
        loss_weight (float): Default: 1.0.
    """

    def __init__(
        self, alpha: float = 0.25, exclude_self: bool = False, loss_weight: float = 1.0
    ) -> None:
        super().__init__()
        if alpha < 0:
            raise ValueError(f'SimMaxLoss: alpha must be >= 0, got {alpha}')
        self.alpha = alpha
        self.exclude_self = exclude_self
        self.loss_weight = loss_weight

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        """
        Args:
            feats (Tensor): (n, K) one partition's vector of each image.

        Returns:
            Tensor: scalar loss.
        """
        sim = clamped_cosine(feats, feats)  # (n, n)
        n = sim.shape[0]
        self_pair = torch.eye(n, dtype=torch.bool, device=sim.device)
        with torch.no_grad():
            # the image itself first (it is, up to ties at the clamp), so that
            # rank - 1 is each other image's rank among the others
            order = sim.masked_fill(self_pair, 2.0) if self.exclude_self else sim
            rank = order.argsort(dim=1, descending=True, stable=True).argsort(dim=1) - 1
            weights = torch.exp(-self.alpha * rank.to(sim.dtype))
        loss = -torch.log(sim) * weights
        if self.exclude_self:
            loss = loss.masked_fill(self_pair, 0).sum() / max(n * (n - 1), 1)
        else:
            loss = loss.mean()
        return self.loss_weight * loss


@MODELS.register_module()
class SimMinLoss(nn.Module):
    """``L_neg``: pushes every background vector of a batch away from every
    foreground vector, ``mean_ij -log(1 - s(v^b_i, v^f_j))`` over all n² pairs
    (Eq. 7 and ``lucasdavid/PNOC`` ``core/ccam.py``, ``SimMinLoss``, agree).

    Args:
        loss_weight (float): Default: 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, bg_feats: torch.Tensor, fg_feats: torch.Tensor) -> torch.Tensor:
        """
        Args:
            bg_feats (Tensor): (n, K) background vectors.
            fg_feats (Tensor): (n, K) foreground vectors.

        Returns:
            Tensor: scalar loss.
        """
        sim = clamped_cosine(bg_feats, fg_feats)
        return self.loss_weight * -torch.log(1 - sim).mean()
