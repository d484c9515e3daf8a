"""Complementary patch cross regularisation (CPCR) loss of CPN, with OHEM."""

from typing import Optional, Sequence

import torch
import torch.nn as nn

from wsss_mm.registry import MODELS

BG_ORDERS = ('after_scaling', 'before_scaling')


def ohem_mean(
    losses: torch.Tensor, ratio: float, num_elements: Optional[int] = None
) -> torch.Tensor:
    """Online hard example mining: the mean of each sample's largest losses.

    Args:
        losses (Tensor): (B, ...) element-wise losses, >= 0.
        ratio (float): share of each sample's elements kept, in (0, 1]; at
            least one is kept. 1 is the plain mean.
        num_elements (int, optional): the number of elements per sample that
            ``ratio`` and the mean refer to, when ``losses`` holds only some of
            them and the others are zero losses (at least the given ones).
            Default: those of ``losses``.

    Returns:
        Tensor: scalar, the mean over the B x k kept elements.
    """
    if not 0 < ratio <= 1:
        raise ValueError(f'OHEM ratio must be in (0, 1], got {ratio}')
    flat = losses.flatten(1)
    total = flat.shape[1] if num_elements is None else num_elements
    if total < flat.shape[1]:
        raise ValueError(f'num_elements {total} is below the {flat.shape[1]} losses given')
    k = total if ratio == 1 else max(1, int(ratio * total))
    kept = flat if k >= flat.shape[1] else flat.topk(k, dim=1).values
    return kept.sum() / (flat.shape[0] * k)


def keep_channel_max(maps: torch.Tensor) -> torch.Tensor:
    """Zeroes every value below its pixel's maximum over channels.

    Args:
        maps (Tensor): (B, K, h, w).

    Returns:
        Tensor: (B, K, h, w), the maxima kept in place (``Ferenas/CPN``'s
        ``max_onehot``).
    """
    return torch.where(maps == maps.max(dim=1, keepdim=True).values, maps, torch.zeros_like(maps))


def prepend_background(fg: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """Eq. 16 of CPN: prepends the background map ``(1 - max_c Y^c)^α``.

    Args:
        fg (Tensor): (B, C, h, w) foreground maps in [0, 1].
        alpha (float): the exponent α.

    Returns:
        Tensor: (B, C + 1, h, w), background first.
    """
    bg = (1 - fg.max(dim=1, keepdim=True).values).clamp(min=0) ** alpha
    return torch.cat([bg, fg], dim=1)


@MODELS.register_module()
class CPCRLoss(nn.Module):
    """CP cross regularisation, Eq. 15 of F. Zhang et al., "Complementary Patch
    for Weakly Supervised Semantic Segmentation" (CPN, ICCV 2021).

    ``L_cpcr = OHEM|T(Y_o - λ Y_h) - λ̄ Ỹ_h̄| + OHEM|T(Y_o - λ̄ Y_h̄) - λ Ỹ_h|``: what
    the CAM of ``I`` holds beyond one image of the pair supervises the refined
    map of the other image. The loss takes foreground maps and compares
    (C + 1)-channel maps, the background of Eq. 16 first; ``bg_order`` says
    where the background comes in. In ``train_cpn.py`` (``L_cpcr =
    OHEM(|max_onehot(cam - cam1) - cam_rv2|) + ...``) ``cam1``, ``cam_rv2`` are
    already multiplied by ``ctri`` / ``uctri`` when their channel 0 is set to
    ``1 - max(fg)``, and ``cam`` (weight 1) gets its own; hence:

    - ``'after_scaling'`` (``Ferenas/CPN``, ``train_cpn.py``): the
      foreground maps are weighted by λ / λ̄ first (the code's ``ctri`` /
      ``uctri``), then each weighted map gets its own background ``1 - max_c``.
      The target is the difference of two such maps,
      ``[bg(Y_o) - bg(λY_h), Y_o - λY_h]`` with ``bg(λY_h) = (1 - λ max_c Y_h)^α``,
      i.e. ``λ max_c Y_h - max_c Y_o`` for α = 1 (the code subtracts the two
      21-channel maps after overwriting each one's channel 0), and the
      prediction is ``[(1 - λ̄ max_c Ỹ_h̄)^α, λ̄ Ỹ_h̄]``. On a background pixel
      (``Y_o = Y_h = 0``) the target is 0 in every channel while the predicted
      background stays near 1, a large element loss that OHEM keeps and whose
      gradient raises ``Ỹ_h̄``'s top foreground there ("anti all-background");
      without OHEM, for one class, it cancels the foreground channel's push
      down.
    - ``'before_scaling'`` (a reading of the paper; the default): each map gets its
      background first and the whole (C + 1)-channel map is weighted:
      target ``[bg(Y_o) - λ bg(Y_h), Y_o - λY_h]``, prediction
      ``λ̄ [bg(Ỹ_h̄), Ỹ_h̄]``. On a background pixel the target background is
      ``1 - λ = λ̄`` and, for α = 1, the element losses are
      ``λ̄ max_c Ỹ_h̄`` (background) and ``λ̄ Ỹ_h̄^c``: all of them lower
      ``Ỹ_h̄`` there, with or without OHEM.

    The CAMs are detached (targets); ``T`` is the identity (the paper) or, with
    ``max_target``, keeps each pixel's channel maximum over the C + 1 channels
    (``Ferenas/CPN``'s ``max_onehot``). OHEM keeps the top ``ohem_ratio`` of
    each image's (C + 1) h w element losses (paper: 20%, Sec. 4.1).

    Args:
        ohem_ratio (float): share of hard elements kept; 1.0 disables OHEM
            (Table 2's ``L_cpcr`` row). Default: 0.2.
        max_target (bool): apply ``T`` = keep the channel maximum. Default: False.
        bg_order (str): ``'before_scaling'`` (the paper's reading, default: on
            the synthetic set its refined maps score 2.6-8.9 points higher, see
            docs/methods/cpn.md) or ``'after_scaling'`` (the code).
            Default: 'before_scaling'.
        loss_weight (float): ``w_3`` of Eq. 17. Default: 1.0.
        loss_name (str): key in the loss dict. Default: 'loss_cpcr'.
    """

    def __init__(
        self,
        ohem_ratio: float = 0.2,
        max_target: bool = False,
        bg_order: str = 'before_scaling',
        loss_weight: float = 1.0,
        loss_name: str = 'loss_cpcr',
    ) -> None:
        super().__init__()
        if not 0 < ohem_ratio <= 1:
            raise ValueError(f'ohem_ratio must be in (0, 1], got {ohem_ratio}')
        if bg_order not in BG_ORDERS:
            raise ValueError(f'bg_order must be one of {BG_ORDERS}, got {bg_order!r}')
        self.ohem_ratio = ohem_ratio
        self.max_target = max_target
        self.bg_order = bg_order
        self.loss_weight = loss_weight
        self.loss_name = loss_name

    def weighted_maps(
        self, fg: torch.Tensor, weight: torch.Tensor, bg_alpha: float
    ) -> torch.Tensor:
        """A foreground map weighted by λ or λ̄, with its background, in the
        order of ``bg_order``.

        Args:
            fg (Tensor): (B, C, h, w) foreground maps in [0, 1].
            weight (Tensor): (B, 1, 1, 1) the weights.
            bg_alpha (float): α of Eq. 16.

        Returns:
            Tensor: (B, C + 1, h, w), background first.
        """
        if self.bg_order == 'after_scaling':
            return prepend_background(weight * fg, bg_alpha)
        return weight * prepend_background(fg, bg_alpha)

    def forward(
        self,
        cams: Sequence[torch.Tensor],
        refined: Sequence[torch.Tensor],
        lam: torch.Tensor,
        bg_alpha: float = 1.0,
        num_classes: Optional[int] = None,
    ) -> torch.Tensor:
        """
        Args:
            cams (Sequence[Tensor]): ``(Y_o, Y_h, Y_h̄)``, each (B, C, h, w):
                normalised, label-masked foreground CAMs.
            refined (Sequence[Tensor]): ``(Ỹ_o, Ỹ_h, Ỹ_h̄)``, same shapes
                (``Ỹ_o`` is not used).
            lam (Tensor): (B,) λ.
            bg_alpha (float): α of Eq. 16 (the CPN's). Default: 1.
            num_classes (int, optional): the number of classes of the full
                maps when the maps hold only some of their channels, the others
                zero in every map (CPN passes each image's present classes and
                at least one absent one); OHEM then keeps its share of the
                ``(num_classes + 1) h w`` elements. Default: C.

        Returns:
            Tensor: scalar loss.
        """
        cam_o, cam_h, cam_hbar = (c.detach() for c in cams)
        _, ref_h, ref_hbar = refined
        lam = lam.view(-1, 1, 1, 1)
        one = torch.ones_like(lam)
        cam_o = self.weighted_maps(cam_o, one, bg_alpha)
        pairs = (
            (
                cam_o - self.weighted_maps(cam_h, lam, bg_alpha),
                self.weighted_maps(ref_hbar, 1 - lam, bg_alpha),
            ),
            (
                cam_o - self.weighted_maps(cam_hbar, 1 - lam, bg_alpha),
                self.weighted_maps(ref_h, lam, bg_alpha),
            ),
        )
        height, width = cam_o.shape[-2:]
        num_elements = None if num_classes is None else (num_classes + 1) * height * width
        loss = 0
        for target, pred in pairs:
            if self.max_target:
                target = keep_channel_max(target)
            loss = loss + ohem_mean((target - pred).abs(), self.ohem_ratio, num_elements)
        return self.loss_weight * loss
