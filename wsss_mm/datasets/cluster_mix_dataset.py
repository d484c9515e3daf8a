"""SegMix's categorical-clustering blending (Islam et al., IJCV 2023, Sec. 3.1.1):
an offline mixed dataset D' built from class clusters."""

import copy
from typing import List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from mmengine.dataset import BaseDataset, Compose

from wsss_mm.registry import DATASETS

from .voc_layout import IGNORE_INDEX, labels_from_masks


@DATASETS.register_module()
class ClusterMixDataset:
    """Each image of a segmentation dataset blended with one random image of
    every other class cluster (Eq. 1, δ ~ U[δ_min, δ_max]).

    Cluster c holds the images whose mask has class c (an image with several
    classes is in several clusters). For each cluster c and each image a in
    it, ``num_partners`` other clusters c' are chosen (all of them by default:
    19 for VOC) and one image b ≠ a of each is drawn, with a weight δ; the
    sample is ``δ·I_a + (1 − δ)·I_b``. Pairs and weights are drawn once, at
    initialisation, from ``seed``: the dataset is the same on every run and
    every rank. Images without a foreground class are in no cluster and not
    used.

    Both source images go through the wrapped dataset's pipeline first
    (loading and geometric transforms: resize, crop, flip), then the partner
    is cut or padded at its bottom / right to the dominant image's size (image
    with 0, labels with 255), blended, and the result goes through
    ``pipeline`` (photometric transforms, then ``PackSegMixInputs``). The
    results dict handed to ``pipeline`` holds ``img`` (float32, the blend),
    ``gt_seg_map`` (G_a, dominant), ``gt_phantom_seg_map`` (G_b, phantom;
    also in ``seg_fields``), ``mix_delta`` (δ) and ``phantom_img_path``;
    ``PackSegMixInputs`` puts them into the data sample as ``gt_sem_seg``,
    ``gt_phantom_seg`` (``PixelData`` (1, H, W)) and the metainfo keys
    ``mix_delta`` / ``phantom_img_path``, the fields ``CoOccurrenceMix`` sets.

    Args:
        dataset (dict | BaseDataset): the segmentation dataset (e.g. mmseg's
            ``PascalVOCDataset``; classes background first, ids 0..K-1,
            255 = ignore), its pipeline ending with ``img`` and ``gt_seg_map``
            unpacked.
        pipeline (list[dict]): transforms after the blend.
        num_partners (int, optional): other clusters each image is blended
            with (drawn without replacement); None: all of them (the paper).
        delta_range (tuple[float, float]): δ's uniform range. Default
            (0.7, 1.0), the paper's.
        seed (int): the seed of the pairs and weights.
        lazy_init (bool): defer reading the masks to :meth:`full_init`.
    """

    def __init__(
        self,
        dataset: Union[dict, BaseDataset],
        pipeline: Sequence[dict],
        num_partners: Optional[int] = None,
        delta_range: Tuple[float, float] = (0.7, 1.0),
        seed: int = 0,
        lazy_init: bool = False,
    ):
        low, high = delta_range
        if not 0 <= low <= high <= 1:
            raise ValueError(
                f'ClusterMixDataset: delta_range must be 0 <= low <= high <= 1, got {delta_range}'
            )
        if num_partners is not None and num_partners < 1:
            raise ValueError(
                f'ClusterMixDataset: num_partners must be >= 1 or None, got {num_partners}'
            )
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        self.pipeline = Compose(pipeline)
        self.num_partners = num_partners
        self.delta_range = (float(low), float(high))
        self.seed = seed
        self._metainfo = self.dataset.metainfo
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        """The wrapped dataset's metainfo (a copy)."""
        return copy.deepcopy(self._metainfo)

    def full_init(self) -> None:
        """Reads the masks' classes and draws the pairs (once)."""
        if self._fully_initialized:
            return
        self.dataset.full_init()
        num_classes = len(self._metainfo['classes']) - 1
        paths = [self.dataset.get_data_info(i)['seg_map_path'] for i in range(len(self.dataset))]
        self.pairs = self.draw_pairs(labels_from_masks(paths, num_classes))
        if not self.pairs:
            raise ValueError(
                'ClusterMixDataset: no pair to blend; the dataset needs images '
                'of at least two classes'
            )
        self._fully_initialized = True

    def draw_pairs(self, labels: np.ndarray) -> List[Tuple[int, int, float]]:
        """The blended samples of D'.

        Args:
            labels (np.ndarray): (N, C) multi-hot foreground classes of the
                wrapped dataset's images.

        Returns:
            list[tuple[int, int, float]]: ``(a, b, δ)``: dominant index,
            phantom index, weight of the dominant image; by cluster, then
            image, then partner cluster.
        """
        rng = np.random.default_rng(self.seed)
        clusters = [np.flatnonzero(labels[:, c]) for c in range(labels.shape[1])]
        used = [c for c, members in enumerate(clusters) if len(members)]
        pairs = []
        for c in used:
            others = np.array([o for o in used if o != c], dtype=np.int64)
            for a in clusters[c]:
                chosen = others
                if self.num_partners is not None and self.num_partners < len(others):
                    chosen = np.sort(rng.choice(others, self.num_partners, replace=False))
                for o in chosen:
                    candidates = clusters[o][clusters[o] != a]
                    if len(candidates):
                        b = int(rng.choice(candidates))
                        pairs.append((int(a), b, float(rng.uniform(*self.delta_range))))
        return pairs

    def __len__(self) -> int:
        if not self._fully_initialized:
            self.full_init()
        return len(self.pairs)

    def __getitem__(self, idx: int) -> dict:
        if not self._fully_initialized:
            self.full_init()
        a, b, delta = self.pairs[idx]
        dominant, phantom = self.dataset[a], self.dataset[b]
        for index, results in ((a, dominant), (b, phantom)):
            if 'img' not in results or 'gt_seg_map' not in results:
                raise KeyError(
                    f'ClusterMixDataset: sample {index} of the wrapped dataset has no '
                    "unpacked 'img' / 'gt_seg_map'; its pipeline must load both and not pack them"
                )
        height, width = dominant['img'].shape[:2]
        img_b = _fit(phantom['img'], height, width, 0)
        seg_b = _fit(phantom['gt_seg_map'], height, width, IGNORE_INDEX)
        results = dict(dominant)
        results['img'] = delta * dominant['img'].astype(np.float32) + (1 - delta) * img_b.astype(
            np.float32
        )
        results['gt_phantom_seg_map'] = seg_b
        results['seg_fields'] = list(results.get('seg_fields', [])) + ['gt_phantom_seg_map']
        results['mix_delta'] = delta
        results['phantom_img_path'] = phantom.get('img_path')
        return self.pipeline(results)


def _fit(array: np.ndarray, height: int, width: int, pad_value: int) -> np.ndarray:
    """``array`` ((h, w) or (h, w, 3)) cut or padded at its bottom / right to (height, width)."""
    array = array[:height, :width]
    pad_h, pad_w = height - array.shape[0], width - array.shape[1]
    if pad_h or pad_w:
        array = cv2.copyMakeBorder(
            array, 0, pad_h, 0, pad_w, cv2.BORDER_CONSTANT, value=[pad_value] * 3
        )
    return array
