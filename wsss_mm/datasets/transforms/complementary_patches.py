"""Complementary patch (CP) pairs of CPN (Zhang et al., "Complementary Patch for
Weakly Supervised Semantic Segmentation", ICCV 2021, Secs. 3.1-3.2).

A CP pair ``(I_h, I_h̄)`` hides complementary sets of patches of an image ``I``,
so that ``I_h + I_h̄ = I`` up to the fill value, the dataset mean. The data
schema, written by the transforms and :class:`PackCPInputs` and read by the
model-side batch op :class:`wsss_mm.models.utils.ComplementaryPatchPair`:

- ``cp_mask``: uint8 (H, W), 1 where a pixel is visible in ``I_h`` (and hidden
  in ``I_h̄``), 0 where it is hidden in ``I_h``; on the image after cropping.
- ``cp_lambda``: float, ``λ = 1 - N_h / N`` (``N_h`` of the ``N`` patches hidden
  in ``I_h``), the weight of ``I_h``'s CAM; ``I_h̄``'s weight is ``1 - λ``.

The pair itself is formed by the model on the normalised batch, ``I_h = I · m``
and ``I_h̄ = I · (1 - m)``: hidden pixels are exactly 0, the normalised dataset
mean (as the paper and ``Ferenas/CPN`` do), whatever the data preprocessor's
mean, padding or colour order, so ``mmseg.SegDataPreProcessor`` works unchanged.
The expensive part, SLIC, runs here, in the dataloader workers.
"""

from typing import Sequence

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from skimage.segmentation import slic

from wsss_mm.registry import TRANSFORMS

from .formatting import PackCAMInputs

LAMBDA_MODES = ('patches', 'pixels')
HIDE_MODES = ('independent', 'draws')


class BaseComplementaryPatches(BaseTransform):
    """Hides patches of a partition of the image: each with probability
    ``hide_prob``, or as many as ``floor(hide_prob · N)`` drawn with replacement.

    Subclasses define the partition (:meth:`patches`). Randomness comes from
    ``np.random``, which MMEngine seeds in every dataloader worker
    (``randomness=dict(seed=...)``), so pairs are reproducible under a seed.

    Adds ``cp_mask`` and ``cp_lambda`` (module docstring) to the results.

    Args:
        hide_prob (float): probability ``p_h`` that a patch is hidden in
            ``I_h`` (paper: 0.5, Table 4).
        lambda_by (str): ``'patches'``: ``λ = 1 - N_h / N`` over patches
            (the paper's Sec. 3.1); ``'pixels'``: the fraction of visible
            pixels (``Ferenas/CPN``'s code).
        hide_mode (str): ``'independent'``: each patch is hidden with
            probability ``hide_prob`` (the paper, Table 4); ``'draws'``:
            ``floor(hide_prob · N)`` patch ids drawn uniformly with replacement
            are hidden (``Ferenas/CPN``'s ``hide_patch_ss``), about 39% of the
            patches at 0.5 (``1 - e^-0.5``).
    """

    def __init__(
        self, hide_prob: float = 0.5, lambda_by: str = 'patches', hide_mode: str = 'independent'
    ) -> None:
        if not 0 <= hide_prob <= 1:
            raise ValueError(f'hide_prob must be in [0, 1], got {hide_prob}')
        if lambda_by not in LAMBDA_MODES:
            raise ValueError(f'lambda_by must be one of {LAMBDA_MODES}, got {lambda_by!r}')
        if hide_mode not in HIDE_MODES:
            raise ValueError(f'hide_mode must be one of {HIDE_MODES}, got {hide_mode!r}')
        self.hide_prob = hide_prob
        self.lambda_by = lambda_by
        self.hide_mode = hide_mode

    def patches(self, img: np.ndarray) -> np.ndarray:
        """The partition of the image into patches.

        Args:
            img (np.ndarray): (H, W, 3) BGR image.

        Returns:
            np.ndarray: (H, W) integer patch ids in ``0..N-1``.
        """
        raise NotImplementedError

    def transform(self, results: dict) -> dict:
        patch_ids = self.patches(results['img'])
        present = np.bincount(patch_ids.ravel()) > 0
        if self.hide_mode == 'independent':
            hidden = np.random.rand(len(present)) < self.hide_prob
        else:
            hidden = np.zeros(len(present), bool)
            hidden[np.random.randint(len(present), size=int(self.hide_prob * len(present)))] = True
        mask = (~hidden)[patch_ids].astype(np.uint8)
        if self.lambda_by == 'patches':
            lam = 1.0 - (hidden & present).sum() / present.sum()
        else:
            lam = mask.mean()
        results['cp_mask'] = mask
        results['cp_lambda'] = float(lam)
        return results


@TRANSFORMS.register_module()
class SuperpixelComplementaryPatches(BaseComplementaryPatches):
    """CP pairs over SLIC superpixels (the paper's "Super-pixel Patch").

    Args:
        n_segments (int): ``S_N``, the approximate number of superpixels (paper
            best: 200 at 448 x 448, Fig. 6; ``Ferenas/CPN`` uses 300).
        compactness (float): SLIC compactness (10 in ``Ferenas/CPN``).
        downscale (int): run SLIC on the image shrunk by this factor and upscale
            the superpixel ids (nearest): 2 is ~4x faster at 448 x 448.
        hide_prob (float): see :class:`BaseComplementaryPatches`.
        lambda_by (str): see :class:`BaseComplementaryPatches`.
        hide_mode (str): see :class:`BaseComplementaryPatches`.
    """

    def __init__(
        self,
        n_segments: int = 200,
        compactness: float = 10.0,
        downscale: int = 1,
        hide_prob: float = 0.5,
        lambda_by: str = 'patches',
        hide_mode: str = 'independent',
    ) -> None:
        super().__init__(hide_prob, lambda_by, hide_mode)
        if n_segments < 1 or downscale < 1:
            raise ValueError(
                f'n_segments and downscale must be >= 1, got {n_segments} and {downscale}'
            )
        self.n_segments = n_segments
        self.compactness = compactness
        self.downscale = downscale

    def patches(self, img: np.ndarray) -> np.ndarray:
        height, width = img.shape[:2]
        rgb = np.ascontiguousarray(img[..., ::-1])
        if self.downscale > 1:
            size = (max(1, width // self.downscale), max(1, height // self.downscale))
            rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        ids = slic(
            rgb,
            n_segments=self.n_segments,
            compactness=self.compactness,
            start_label=0,
            channel_axis=-1,
        ).astype(np.int32)
        if self.downscale > 1:
            ids = cv2.resize(ids, (width, height), interpolation=cv2.INTER_NEAREST)
        return ids


@TRANSFORMS.register_module()
class GridComplementaryPatches(BaseComplementaryPatches):
    """CP pairs over a square grid (the paper's "Grid Patch", after Hide-and-Seek).

    Each image draws its patch size ``S`` uniformly from ``grid_sizes`` (the
    set ``K``; paper best ``{56, 112}`` at 448 x 448, Fig. 7); edge patches are
    cut by the image border.

    Args:
        grid_sizes (Sequence[int]): the set ``K`` of patch sizes in pixels.
        hide_prob (float): see :class:`BaseComplementaryPatches`.
        lambda_by (str): see :class:`BaseComplementaryPatches`.
        hide_mode (str): see :class:`BaseComplementaryPatches`.
    """

    def __init__(
        self,
        grid_sizes: Sequence[int] = (56, 112),
        hide_prob: float = 0.5,
        lambda_by: str = 'patches',
        hide_mode: str = 'independent',
    ) -> None:
        super().__init__(hide_prob, lambda_by, hide_mode)
        if not grid_sizes or min(grid_sizes) < 1:
            raise ValueError(f'grid_sizes must be positive sizes, got {grid_sizes}')
        self.grid_sizes = tuple(int(s) for s in grid_sizes)

    def patches(self, img: np.ndarray) -> np.ndarray:
        height, width = img.shape[:2]
        size = self.grid_sizes[np.random.randint(len(self.grid_sizes))]
        cols = -(-width // size)
        return (np.arange(height) // size)[:, None] * cols + np.arange(width) // size


@TRANSFORMS.register_module()
class PackCPInputs(PackCAMInputs):
    """:class:`PackCAMInputs` plus the CP pair's ``cp_mask`` and ``cp_lambda``.

    The data sample gains ``cp_mask`` (uint8 tensor (H, W)) and ``cp_lambda``
    (float32 scalar tensor), read back by
    :class:`wsss_mm.models.utils.ComplementaryPatchPair`.
    """

    def transform(self, results: dict) -> dict:
        missing = [k for k in ('cp_mask', 'cp_lambda') if k not in results]
        if missing:
            raise KeyError(
                f'{results.get("img_path", "image")}: no {missing}; put '
                'SuperpixelComplementaryPatches or GridComplementaryPatches '
                'before PackCPInputs in the pipeline'
            )
        packed = super().transform(results)
        packed['data_samples'].set_data(
            dict(
                cp_mask=torch.from_numpy(np.ascontiguousarray(results['cp_mask'])),
                cp_lambda=torch.tensor(results['cp_lambda'], dtype=torch.float32),
            )
        )
        return packed
