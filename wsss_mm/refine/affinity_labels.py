"""Affinity labels: the confident regions of the CAMs that AffinityNet learns from.

PSA (Ahn & Kwak, CVPR 2018) and IRN (Ahn et al., CVPR 2019) label pixels
whose CAMs are confidently foreground or background and ignore the rest; pairs
of labelled pixels become the positive / negative affinities of training.
P-NOC and Group-WSSS take the background from a saliency map instead.
"""

from typing import Optional

import numpy as np
import torch

from .crf import DenseCRF
from .pseudo_labels import combine_confident, confident_labels, seed_labels


def affinity_labels(
    keys: np.ndarray,
    cams: torch.Tensor,
    fg_threshold: float = 0.30,
    bg_threshold: float = 0.05,
    crf: Optional[DenseCRF] = None,
    image: Optional[np.ndarray] = None,
    saliency: Optional[np.ndarray] = None,
    saliency_threshold: float = 0.5,
) -> np.ndarray:
    """The affinity label map of one image.

    Without saliency (IRN's ``cam_to_ir_label``): see
    :func:`~wsss_mm.refine.pseudo_labels.confident_labels`.

    With saliency (P-NOC's "guiding random walk using saliency maps", thesis
    App. B.2.2; ``lucasdavid/PNOC`` ``scripts/rw/make_affinity_labels.py``
    with ``--sal_dir``): background where the saliency is at most
    ``saliency_threshold``; inside the salient region the class of the CAMs at
    background threshold ``fg_threshold``, 255 where no class is confident
    there. With ``crf`` both the salient region and the class map are
    CRF-refined. ``bg_threshold`` is not used: P-NOC passes its
    ``--bg_threshold`` (0.10 in ``runners/3-rw.sh``) as the saliency threshold.

    Args:
        keys (np.ndarray): (n,) class ids 1..C of the CAM channels.
        cams (Tensor): (n, H, W) CAMs in [0, 1].
        fg_threshold (float): background score of the confident-foreground map
            (IRN 0.30, AdvCAM 0.35, PuzzleCAM / P-NOC 0.40).
        bg_threshold (float): background score of the confident-background map
            (IRN 0.05, AdvCAM 0.15, PuzzleCAM / P-NOC 0.10); unused with
            saliency.
        crf (DenseCRF, optional): CRF-refine the label maps (IRN does).
        image (np.ndarray, optional): (H, W, 3) uint8, needed with ``crf``.
        saliency (np.ndarray, optional): (H, W) saliency in [0, 1].
        saliency_threshold (float): saliency at or below it is background
            (P-NOC: 0.10, on PoolNet maps trained from C²AM-H's).

    Returns:
        np.ndarray: (H, W) uint8 class ids, 255 = ignored.

    Raises:
        ValueError: the saliency map's size differs from the CAMs', or the
            saliency threshold is outside [0, 1).
    """
    if saliency is None:
        return confident_labels(keys, cams, fg_threshold, bg_threshold, crf, image)
    if not 0 <= saliency_threshold < 1:
        raise ValueError(f'saliency_threshold must be in [0, 1), got {saliency_threshold}')
    if saliency.shape != tuple(cams.shape[-2:]):
        raise ValueError(
            f'saliency map size {saliency.shape} differs from the CAM size {tuple(cams.shape[-2:])}'
        )
    salient = torch.from_numpy(saliency > saliency_threshold)
    if crf is not None:
        salient_map = salient.float()[None]
        salient = torch.from_numpy(seed_labels([1], salient_map, 'threshold', 0.5, crf, image) == 1)
    fg = seed_labels(keys, cams * salient, 'threshold', fg_threshold, crf, image)
    return combine_confident(fg, ~salient.numpy())
