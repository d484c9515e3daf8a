"""SegMix's co-occurrence based image blending (Islam et al., "SegMix:
Co-occurrence Driven Mixup for Semantic Segmentation and Adversarial
Robustness", IJCV 2023, Sec. 3.1.2, Algorithm 1)."""

from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmseg.structures import SegDataSample

from wsss_mm.evaluation.cooccurrence import load_cooccurrence
from wsss_mm.registry import MODELS

from .seg_mixup import mix_with_partners, stacked_labels

#: what a pair above the class-count threshold γ gets: δ = 0.9, or no blending
GAMMA_MODES = ('ratio', 'max')


@MODELS.register_module()
class CoOccurrenceMix:
    """Blends each image with the sample of its batch whose classes co-occur
    most with its own (Algorithm 1).

    For sample k and every other sample m with at least one class each (the
    background and ignore ids left out of both class sets), the score is
    ``Σ_{i ∈ classes(m)} Σ_{j ∈ classes(k)} C[i, j]``; the partner is the
    highest-scoring m (the first on ties; samples without a class score 0;
    never k itself unless the batch has one sample). δ ~ Beta(α, α) is drawn
    once per batch (``np.random``), δ = 1 when α = 0; a pair whose class
    counts ``|classes(k)| + |classes(m)|`` (Algorithm 1, line 27: a class in
    both counts twice) exceed γ gets δ = 0.9 instead, for that pair only
    (``gamma_mode='ratio'``, Table 10's "γ-thres"), or is not blended at all
    (``gamma_mode='max'``, Table 10's "max = γ": δ = 1 and a phantom map of
    ignore only, so that no loss term sees the partner). Images are blended
    as Eq. 1, ``δ·I_k + (1 − δ)·I_m``.

    ``delta_range=(low, high)`` replaces the Beta draw by δ ~ U[low, high]
    drawn for each sample (``np.random``), the categorical clustering's δ
    (``ClusterMixDataset``'s ``delta_range``): with (0.7, 1.0) Binding-CM and
    Binding-CC differ in how the partner is chosen, not in δ.

    Labels: each data sample keeps its own map in ``gt_sem_seg`` (dominant,
    G_a), gets its partner's as ``gt_phantom_seg`` (phantom, G_b;
    ``PixelData`` (1, H, W) int64) and its δ as ``mix_delta`` (float) in its
    metainfo. Applied by ``MixSegDataPreProcessor(batch_augments=[dict(
    type='CoOccurrenceMix', cooccurrence='cooc.npy', alpha=1.0, gamma=4)])``.

    Args:
        cooccurrence (str | np.ndarray): the (K, K) co-occurrence matrix
            indexed by label id, or its ``.npy`` file
            (``tools/analysis_tools/cooccurrence.py``), read at the first batch.
        alpha (float): Beta(α, α) parameter, >= 0 (0: δ = 1, no blending
            except where γ sets 0.9).
        gamma (int, optional): the class-count threshold γ; None: no
            threshold (the paper's "max = ∞").
        gamma_mode (str): what a pair above γ gets: ``'ratio'`` δ = 0.9
            (Algorithm 1, default) or ``'max'`` no blending (Table 10's
            "max = k" rows).
        dominant_weight (bool): δ := max(δ, 1 − δ), so that the sample's own
            image always weighs most (Sec. 3.1.2's text: "assign more weight on
            the source image"). Default False: Algorithm 1 as written.
        delta_range (tuple[float, float], optional): δ ~ U[low, high] for
            each sample instead of Beta(α, α) (``alpha`` and
            ``dominant_weight`` then unused). Default None: the Beta draw.
        background_index (int): the background id. Default 0.
        ignore_index (int): the ignore id. Default 255.
    """

    def __init__(
        self,
        cooccurrence: Union[str, np.ndarray],
        alpha: float,
        gamma: Optional[int] = None,
        gamma_mode: str = 'ratio',
        dominant_weight: bool = False,
        delta_range: Optional[Sequence[float]] = None,
        background_index: int = 0,
        ignore_index: int = 255,
    ):
        if alpha < 0:
            raise ValueError(f'CoOccurrenceMix: alpha must be >= 0, got {alpha}')
        if gamma_mode not in GAMMA_MODES:
            raise ValueError(
                f'CoOccurrenceMix: gamma_mode must be one of {GAMMA_MODES}, got "{gamma_mode}"'
            )
        if delta_range is not None:
            if len(delta_range) != 2 or not 0 <= delta_range[0] <= delta_range[1] <= 1:
                raise ValueError(
                    'CoOccurrenceMix: delta_range must be (low, high) with '
                    f'0 <= low <= high <= 1, got {delta_range}'
                )
            delta_range = (float(delta_range[0]), float(delta_range[1]))
        self._matrix: Optional[torch.Tensor] = None
        if isinstance(cooccurrence, str):
            self.source = cooccurrence  # read on first use, as weights are at init_weights
        else:
            matrix = np.asarray(cooccurrence, dtype=np.float64)
            self.source = 'the given co-occurrence matrix'
            if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
                raise ValueError(
                    f'CoOccurrenceMix: cooccurrence must be (K, K), got {matrix.shape}'
                )
            self._matrix = torch.as_tensor(matrix, dtype=torch.float64)
        self.alpha = alpha
        self.gamma = gamma
        self.gamma_mode = gamma_mode
        self.dominant_weight = dominant_weight
        self.delta_range = delta_range
        self.background_index = background_index
        self.ignore_index = ignore_index

    @property
    def matrix(self) -> torch.Tensor:
        """The (K, K) float64 co-occurrence matrix; a file is read the first time
        (building the model, e.g. to check a config, does not need it)."""
        if self._matrix is None:
            self._matrix = torch.as_tensor(load_cooccurrence(self.source), dtype=torch.float64)
        return self._matrix

    def class_sets(self, labels: torch.Tensor) -> torch.Tensor:
        """The classes present in each label map (background and ignore left out).

        Args:
            labels (Tensor): (B, 1, H, W) int64 class ids.

        Returns:
            Tensor: (B, K) float64 0 / 1, on the CPU.

        Raises:
            ValueError: a map holds an id the matrix has no row for.
        """
        num_classes = self.matrix.shape[0]
        flat = labels.flatten(1)
        present = torch.zeros(
            labels.shape[0], num_classes + 1, dtype=torch.float64, device=labels.device
        )
        valid = flat != self.ignore_index
        bad = valid & ((flat < 0) | (flat >= num_classes))
        if bad.any():
            raise ValueError(
                f'label ids {sorted(set(flat[bad].tolist()))} have no row in '
                f'{self.source} ({num_classes}x{num_classes})'
            )
        present.scatter_(1, torch.where(valid, flat, num_classes), 1.0)
        present = present[:, :num_classes].cpu()
        if 0 <= self.background_index < num_classes:
            present[:, self.background_index] = 0
        return present

    def pair(self, labels: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Algorithm 1's partners and mixing weights.

        Args:
            labels (Tensor): (B, 1, H, W) int64 class ids.

        Returns:
            tuple[Tensor, Tensor]: partners (B,) int64 and δ (B,) float64
            (1 for a pair left unblended by ``gamma_mode='max'``).
        """
        partners, deltas, _ = self._pair(labels)
        return partners, deltas

    def _pair(self, labels: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """:meth:`pair`, and the (B,) bool mask of the pairs above γ."""
        present = self.class_sets(labels)
        batch = present.shape[0]
        # scores[k, m] = sum_{i in classes(m)} sum_{j in classes(k)} C[i, j]; 0 for a
        # sample without a class (its row of `present` is 0)
        scores = (present @ self.matrix @ present.T).T
        if batch > 1:
            scores.fill_diagonal_(-float('inf'))
        partners = scores.argmax(1)
        deltas = torch.as_tensor(self.draw_deltas(batch), dtype=torch.float64)
        over = self.over_gamma(present, partners)
        deltas[over] = 0.9 if self.gamma_mode == 'ratio' else 1.0
        return partners, deltas, over

    def draw_deltas(self, batch: int) -> np.ndarray:
        """δ of each sample (B,) float64 before the γ rule: one Beta(α, α) draw
        for the batch (δ = 1 when α = 0, max(δ, 1 − δ) with
        ``dominant_weight``), or one U[low, high] draw per sample with
        ``delta_range``."""
        if self.delta_range is not None:
            return np.random.uniform(*self.delta_range, size=batch)
        delta = float(np.random.beta(self.alpha, self.alpha)) if self.alpha > 0 else 1.0
        if self.dominant_weight:
            delta = max(delta, 1 - delta)
        return np.full(batch, delta)

    def over_gamma(self, present: torch.Tensor, partners: torch.Tensor) -> torch.Tensor:
        """The pairs whose class counts ``|classes(k)| + |classes(m)|`` exceed γ.

        Args:
            present (Tensor): (B, K) 0 / 1 class sets (:meth:`class_sets`).
            partners (Tensor): (B,) int64.

        Returns:
            Tensor: (B,) bool; all False without γ.
        """
        batch = present.shape[0]
        if self.gamma is None:
            return torch.zeros(batch, dtype=torch.bool)
        num = present.sum(1)
        eligible = (num[:, None] >= 1) & (num[None, :] >= 1)
        mixed_classes = torch.where(eligible, num[:, None] + num[None, :], 0)
        return mixed_classes[torch.arange(batch), partners] > self.gamma

    def __call__(
        self, inputs: torch.Tensor, data_samples: List[SegDataSample]
    ) -> Tuple[torch.Tensor, List[SegDataSample]]:
        """
        Args:
            inputs (Tensor): (B, C, H, W) normalised, padded images.
            data_samples (list[SegDataSample]): with ``gt_sem_seg`` (1, H, W).

        Returns:
            tuple: (B, C, H, W) mixed images and the data samples, with
            ``gt_phantom_seg`` and ``mix_delta`` set (a pair left unblended by
            ``gamma_mode='max'``: its own image, δ = 1, a phantom map of
            ``ignore_index`` only).
        """
        partners, deltas, over = self._pair(stacked_labels(data_samples))
        mixed, data_samples = mix_with_partners(inputs, data_samples, partners, deltas)
        if self.gamma_mode == 'max':
            for k in torch.nonzero(over).flatten().tolist():
                data_samples[k].gt_phantom_seg.data.fill_(self.ignore_index)
        return mixed, data_samples
