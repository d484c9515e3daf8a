"""Class sets of the MinMax family (seed 002, B.1.1): for each class of interest
``c`` of an image, the other present classes ``N_x`` and all present classes
``C_x = N_x ∪ {c}``."""

from typing import List, NamedTuple, Sequence

import torch
import torch.nn as nn

from .base_cam import BaseCAMMethod, present_pairs
from .grad_cam import head_gradients

OTHERS_SOURCES = ('labels', 'detected')


class ClassSets(NamedTuple):
    """Membership matrices, indexed ``[image, class of interest, class]``.

    Attributes:
        others (Tensor): (B, C, C), 1 where the class is in ``N_x``.
        present (Tensor): (B, C, C), 1 where the class is in ``C_x``.
        num_others (Tensor): (B, C) ``max(|N_x|, 1)``.
        num_present (Tensor): (B, C) ``|C_x|``.
    """

    others: torch.Tensor
    present: torch.Tensor
    num_others: torch.Tensor
    num_present: torch.Tensor

    def others_mean(self) -> torch.Tensor:
        """(B, C, C) coefficients of ``(1/|N_x|) Σ_{n ∈ N_x}``."""
        return self.others / self.num_others[..., None]


class ContrastCAMMethod(BaseCAMMethod):
    """Base of MinMax-CAM, D-MinMax-CAM and MinMax-Grad-CAM: which classes are
    "the other classes present in the image".

    Args:
        others (str): ``'labels'``: the image's ground-truth classes (the
            natural choice for WSSS, default); ``'detected'``: the classes the
            model detects, ``sigmoid(logit) > detect_threshold`` (the authors'
            code).
        detect_threshold (float): detection threshold. Default: 0.5.
    """

    def __init__(self, others: str = 'labels', detect_threshold: float = 0.5) -> None:
        if others not in OTHERS_SOURCES:
            raise ValueError(f'others must be one of {OTHERS_SOURCES}, got "{others}"')
        self.others = others
        self.detect_threshold = detect_threshold

    def class_sets(self, model: nn.Module, feats: torch.Tensor, labels: torch.Tensor) -> ClassSets:
        """The sets ``N_x`` and ``C_x`` of every (image, class of interest).

        Args:
            feats (Tensor): (B, K, h, w).
            labels (Tensor): (B, C) multi-hot.
        """
        if self.others == 'labels':
            context = labels
        else:
            scores = model.predict_logits(feats).sigmoid()
            context = (scores > self.detect_threshold).to(feats.dtype)
        eye = torch.eye(labels.shape[1], dtype=feats.dtype, device=feats.device)
        others = context[:, None, :] * (1 - eye)
        num_others = others.sum(-1)
        return ClassSets(
            others=others,
            present=others + eye,
            num_others=num_others.clamp(min=1),
            num_present=num_others + 1,
        )

    @staticmethod
    def pair_gradients(
        model: nn.Module,
        feats: torch.Tensor,
        labels: torch.Tensor,
        objectives: Sequence[torch.Tensor],
    ) -> List[torch.Tensor]:
        """Feature gradients of per-class objectives, for every present pair, in
        one backward pass through the head.

        Args:
            feats (Tensor): (B, K, h, w).
            labels (Tensor): (B, C) multi-hot: the pairs (image, class c).
            objectives (Sequence[Tensor]): each (B, C, C): the objective of
                class ``c`` of image ``b`` is ``Σ_n objective[b, c, n] y_n``.

        Returns:
            list[Tensor]: per objective, (N, K, h, w) over the pairs of
            :func:`present_pairs` in order.
        """
        img_idx, cls_idx = present_pairs(labels)
        coefs = torch.cat([obj[img_idx, cls_idx] for obj in objectives])
        grads = head_gradients(model, feats, img_idx.repeat(len(objectives)), coefs)
        return list(grads.split(len(img_idx)))
