"""Class-specific erasing of OC-CSE (Kweon et al., ICCV 2021) and P-NOC (seed 002):
which ground-truth class each image erases, and the erasing masks from the
generator's class maps. The rules follow ``lucasdavid/PNOC`` (``core/occse.py``)."""

from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

ERASE_STRATEGIES = ('random', 'balanced', 'focal', 'least_chosen')
MASK_NORMS = ('batch', 'image')


class ErasedClassSampler(nn.Module):
    """Chooses one ground-truth class ``r`` per image to erase.

    Strategies (``core/occse.py``'s ``split_label``):

    - ``'random'`` (default): uniform over the image's classes;
    - ``'balanced'``: probability ∝ ``1 / max(n_c, 1)^γ``, with ``n_c`` the
      times class c was chosen so far;
    - ``'least_chosen'``: the image's class chosen least so far;
    - ``'focal'``: probability ∝ the class's focal factor, a running mean
      (momentum ``focal_momentum``) of ``(1 - p_t)^γ`` of the ordinary
      classifier on the erased images (:meth:`update_focal`): classes the
      ordinary classifier still gets wrong are erased more often.

    ``'balanced'`` and ``'least_chosen'`` update the counts image by image
    within a batch, as the authors' loop does. The counts and focal factors
    are buffers, so they are saved with the checkpoint and restored on
    resume; both start at 1, as the authors'.

    Args:
        num_classes (int): C.
        strategy (str): one of ``ERASE_STRATEGIES``. Default: 'random'.
        focal_momentum (float): momentum of the focal factors. Default: 0.9.
        focal_gamma (float): γ of the focal factors. Default: 2.0.
        balance_gamma (float): γ of ``'balanced'``. Default: 1.0.
    """

    def __init__(
        self,
        num_classes: int,
        strategy: str = 'random',
        focal_momentum: float = 0.9,
        focal_gamma: float = 2.0,
        balance_gamma: float = 1.0,
    ) -> None:
        super().__init__()
        if strategy not in ERASE_STRATEGIES:
            raise ValueError(
                f'erased-class strategy must be one of {ERASE_STRATEGIES}, got "{strategy}"'
            )
        self.strategy = strategy
        self.focal_momentum = focal_momentum
        self.focal_gamma = focal_gamma
        self.balance_gamma = balance_gamma
        self.register_buffer('choices', torch.ones(num_classes))
        self.register_buffer('focal_factor', torch.ones(num_classes))

    @torch.no_grad()
    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        """
        Args:
            labels (Tensor): (B, C) multi-hot.

        Returns:
            Tensor: (B,) long, the erased class of each image; -1 for an image
            without any class.
        """
        present = labels > 0.5
        has_class = present.any(1)
        erased = torch.full((len(labels),), -1, dtype=torch.long, device=labels.device)
        rows = has_class.nonzero().flatten()
        if self.strategy in ('random', 'focal'):
            weights = present[rows].float()
            if self.strategy == 'focal':
                weights = weights * self.focal_factor
                # a class whose factor reached 0 stays possible if it is the only one
                weights = torch.where(
                    weights.sum(1, keepdim=True) > 0, weights, present[rows].float()
                )
            if len(rows):
                erased[rows] = torch.multinomial(weights, 1).flatten()
                self.choices.index_add_(
                    0, erased[rows], torch.ones_like(erased[rows], dtype=self.choices.dtype)
                )
            return erased
        for i in rows.tolist():  # sequential: each choice updates the counts
            classes = present[i].nonzero().flatten()
            counts = self.choices[classes]
            if self.strategy == 'least_chosen':
                r = classes[counts.argmin()]
            else:
                p = counts.clamp(min=1) ** -self.balance_gamma
                r = classes[torch.multinomial(p / p.sum(), 1)[0]]
            erased[i] = r
            self.choices[r] += 1
        return erased

    @torch.no_grad()
    def update_focal(
        self, labels: torch.Tensor, oc_targets: torch.Tensor, oc_logits: torch.Tensor
    ) -> None:
        """Updates the focal factors from the ordinary classifier's scores on
        the erased images (``core/occse.py``'s ``update_focal``).

        Args:
            labels (Tensor): (B, C) the images' classes.
            oc_targets (Tensor): (B, C) the ordinary classifier's targets (the
                classes without the erased one).
            oc_logits (Tensor): (B, C) its logits.
        """
        p = oc_logits.detach().float().sigmoid()
        t = oc_targets.float()
        factor = (1 - (t * p + (1 - t) * (1 - p))) ** self.focal_gamma
        counts = (labels > 0.5).sum(0)
        valid = counts > 0
        mean = factor.sum(0) / counts.clamp(min=1)
        updated = self.focal_momentum * self.focal_factor + (1 - self.focal_momentum) * mean
        self.focal_factor.copy_(torch.where(valid, updated, self.focal_factor))


def erased_targets(labels: torch.Tensor, erased: torch.Tensor) -> torch.Tensor:
    """``y \\ {r}``: the labels without each image's erased class.

    Args:
        labels (Tensor): (B, C) multi-hot.
        erased (Tensor): (B,) class indices, -1 for none.

    Returns:
        Tensor: (B, C).
    """
    onehot = F.one_hot(erased.clamp(min=0), labels.shape[1]).to(labels)
    onehot = onehot * (erased >= 0).to(labels)[:, None]
    return (labels - onehot).clamp(min=0)


def erasing_masks(
    cams: torch.Tensor,
    erased: torch.Tensor,
    size: Tuple[int, int],
    norm: str = 'batch',
    eps: float = 1e-5,
) -> torch.Tensor:
    """The masks of each image's erased class: ``ReLU(A_r)``, resized to the
    image (bilinear), divided by its maximum.

    Args:
        cams (Tensor): (B, C, h, w) class maps of the generator (before ReLU).
        erased (Tensor): (B,) class indices, -1 for none (an all-zero mask).
        size (tuple): (H, W) of the images.
        norm (str): ``'batch'``: divided by the maximum over the batch's
            masks (OC-CSE's and P-NOC's code for the soft masks); ``'image'``:
            each by its own maximum (the papers' ``ReLU(A_r) / max A_r``,
            and the code's for P-NOC's hard masks).
        eps (float): added to the maximum.

    Returns:
        Tensor: (B, 1, H, W) in [0, 1]; differentiable in ``cams``.
    """
    if norm not in MASK_NORMS:
        raise ValueError(f'mask norm must be one of {MASK_NORMS}, got "{norm}"')
    selected = cams[torch.arange(len(cams), device=cams.device), erased.clamp(min=0)]
    selected = selected * (erased >= 0).to(selected)[:, None, None]
    masks = F.interpolate(F.relu(selected)[:, None], size, mode='bilinear', align_corners=False)
    if norm == 'batch':
        return masks / (masks.max() + eps)
    return masks / (masks.flatten(1).max(1).values[:, None, None, None] + eps)
