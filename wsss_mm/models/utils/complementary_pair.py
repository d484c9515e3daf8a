"""The complementary patch (CP) pair of CPN (Zhang et al., ICCV 2021, Secs. 3.1-3.2),
formed on the normalised batch inside the model, as mmpretrain's batch augments are.

The patch masks come from the data: ``SuperpixelComplementaryPatches`` /
``GridComplementaryPatches`` (SLIC or a grid, in the dataloader workers) and
``PackCPInputs`` put ``cp_mask`` and ``cp_lambda`` into each data sample
(``wsss_mm/datasets/transforms/complementary_patches.py`` describes the schema).
"""

from typing import List, Tuple

import torch
from mmseg.structures import SegDataSample


class ComplementaryPatchPair:
    """Forms the CP pairs ``I_h = I · m`` and ``I_h̄ = I · (1 - m)`` of a batch.

    Applied to the normalised images, so hidden pixels are exactly 0, the
    normalised dataset mean (as the paper and ``Ferenas/CPN`` do), whatever the
    data preprocessor's mean, padding or colour order. Each sample's
    ``cp_mask`` covers the top-left of its (bottom/right padded) input; the
    padding is 0 in ``I``, so in both images of the pair.

    Example:
        >>> make_pair = ComplementaryPatchPair()
        >>> img_h, img_hbar, lam = make_pair(inputs, data_samples)
    """

    def __call__(
        self, inputs: torch.Tensor, data_samples: List[SegDataSample]
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """
        Args:
            inputs (Tensor): (B, 3, H, W) normalised images ``I``.
            data_samples (list[SegDataSample]): with ``cp_mask`` (uint8 (h, w),
                h <= H, w <= W, 1 where visible in ``I_h``) and ``cp_lambda``
                (float scalar, the weight of ``I_h``'s CAM).

        Returns:
            tuple[Tensor, Tensor, Tensor]: ``I_h`` and ``I_h̄`` (B, 3, H, W),
            hidden pixels 0, ``I_h + I_h̄ == I``; and ``λ`` (B,).

        Raises:
            KeyError: a sample lacks ``cp_mask`` / ``cp_lambda``.
        """
        batch, _, height, width = inputs.shape
        masks = inputs.new_zeros((batch, 1, height, width))
        lambdas = inputs.new_empty(batch)
        for i, sample in enumerate(data_samples):
            if 'cp_mask' not in sample or 'cp_lambda' not in sample:
                raise KeyError(
                    f'data sample {i} has no cp_mask / cp_lambda; the train '
                    'pipeline must end with a ComplementaryPatches transform '
                    'and PackCPInputs'
                )
            mask = sample.cp_mask
            masks[i, 0, : mask.shape[0], : mask.shape[1]] = mask
            lambdas[i] = sample.cp_lambda
        return inputs * masks, inputs * (1 - masks), lambdas
