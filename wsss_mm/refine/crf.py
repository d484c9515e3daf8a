"""Fully connected CRF over class scores (Krähenbühl & Koltun, NIPS 2011).

The CRF runs on pydensecrf2, an optional extra (it builds from source in about
70 s): ``pip install pydensecrf2==1.1`` or ``pip install -e ".[optional]"``.
Everything else of wsss_mm works without it; building a :class:`DenseCRF`
without it raises an ``ImportError`` that says how to install it.
"""

import importlib.util
from typing import Tuple

import numpy as np

INSTALL_HINT = (
    'dense CRF needs the optional package pydensecrf2: '
    'pip install pydensecrf2==1.1  (or pip install -e ".[optional]")'
)


def crf_available() -> bool:
    """Whether pydensecrf2 (module ``pydensecrf``) can be imported."""
    return importlib.util.find_spec('pydensecrf') is not None


class DenseCRF:
    """Mean-field inference of a dense CRF with a Gaussian (smoothness) and a
    bilateral (appearance) kernel, as IRN's ``crf_inference_label`` and PSA's
    ``crf_inference``.

    Two unaries are offered:

    - ``'label'`` (IRN, PuzzleCAM, P-NOC): the argmax of the scores is taken
      as a label map that is right with probability ``gt_prob``.
    - ``'prob'`` (PSA): the scores, normalised to sum to 1 per pixel, are
      probabilities; the unary is their negative log.

    The spatial widths are given for an image whose longer side is
    ``reference_size`` pixels (VOC's 500). With ``spatial_units='image'`` (the
    default) they scale with the image: an image of longer side L gets
    ``sxy * L / reference_size``, so a 500-px VOC image gets IRN's kernels
    and a 128-px image a bilateral window of 12.8 px instead of 50 (which
    would smooth small and thin objects away). PSA's ``crf_inference``
    divides both widths by its ``scale_factor`` in the same way.
    ``spatial_units='pixels'`` uses the widths as given, at every size.

    Args:
        iterations (int): mean-field steps. Default: 10.
        pos_sxy (float): spatial std of the Gaussian kernel. Default: 3.
        pos_compat (float): weight of the Gaussian kernel. Default: 3.
        bi_sxy (float): spatial std of the bilateral kernel.
            Default: 50 (IRN; PSA 80).
        bi_srgb (float): colour std of the bilateral kernel. Default: 5
            (IRN; PSA 13).
        bi_compat (float): weight of the bilateral kernel. Default: 10.
        unary (str): ``'label'`` or ``'prob'``. Default: ``'label'``.
        gt_prob (float): confidence of the labels of the ``'label'`` unary.
            Default: 0.7.
        spatial_units (str): ``'image'`` (widths relative to an image of
            longer side ``reference_size``) or ``'pixels'``. Default:
            ``'image'``.
        reference_size (float): the longer side, in pixels, at which the
            widths hold as given. Default: 500 (VOC).

    Raises:
        ImportError: pydensecrf2 is not installed (the message says how).
        ValueError: an unknown unary or a non-positive parameter.
    """

    UNARIES = ('label', 'prob')
    SPATIAL_UNITS = ('image', 'pixels')

    def __init__(
        self,
        iterations: int = 10,
        pos_sxy: float = 3.0,
        pos_compat: float = 3.0,
        bi_sxy: float = 50.0,
        bi_srgb: float = 5.0,
        bi_compat: float = 10.0,
        unary: str = 'label',
        gt_prob: float = 0.7,
        spatial_units: str = 'image',
        reference_size: float = 500.0,
    ) -> None:
        if not crf_available():
            raise ImportError(INSTALL_HINT)
        if unary not in self.UNARIES:
            raise ValueError(f'DenseCRF unary must be one of {self.UNARIES}, got "{unary}"')
        if iterations < 1 or min(pos_sxy, bi_sxy, bi_srgb) <= 0:
            raise ValueError('DenseCRF needs iterations >= 1 and positive kernel widths')
        if not 0 < gt_prob < 1:
            raise ValueError(f'DenseCRF gt_prob must be in (0, 1), got {gt_prob}')
        if spatial_units not in self.SPATIAL_UNITS:
            raise ValueError(
                f'DenseCRF spatial_units must be one of {self.SPATIAL_UNITS}, got "{spatial_units}"'
            )
        if reference_size <= 0:
            raise ValueError(f'DenseCRF reference_size must be > 0, got {reference_size}')
        self.iterations = iterations
        self.pos = (pos_sxy, pos_compat)
        self.bilateral = (bi_sxy, bi_srgb, bi_compat)
        self.unary = unary
        self.gt_prob = gt_prob
        self.spatial_units = spatial_units
        self.reference_size = reference_size

    def spatial_widths(self, height: int, width: int) -> Tuple[float, float]:
        """The (Gaussian, bilateral) spatial stds in pixels for an image of
        this size (see the class doc)."""
        scale = 1.0
        if self.spatial_units == 'image':
            scale = max(height, width) / self.reference_size
        return self.pos[0] * scale, self.bilateral[0] * scale

    def __call__(self, image: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Refines the per-pixel argmax of ``scores``.

        Args:
            image (np.ndarray): (H, W, 3) uint8 (any channel order: the colour
                kernel is isotropic).
            scores (np.ndarray): (K, H, W) >= 0, e.g. a background channel and
                the CAMs of the present classes.

        Returns:
            np.ndarray: (H, W) int64 indices into the K channels.

        Raises:
            ValueError: image and scores differ in size.
        """
        num_labels, height, width = scores.shape
        if image.shape[:2] != (height, width):
            raise ValueError(
                f'CRF: image size {image.shape[:2]} differs from the score size {(height, width)}'
            )
        if num_labels == 1:
            return np.zeros((height, width), dtype=np.int64)
        marginals = self._inference(image, scores)
        return marginals.argmax(0).reshape(height, width).astype(np.int64)

    def _inference(self, image: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """(K, H*W) float32 marginals after ``iterations`` mean-field steps."""
        import pydensecrf.densecrf as dcrf
        from pydensecrf.utils import unary_from_labels, unary_from_softmax

        num_labels, height, width = scores.shape
        crf = dcrf.DenseCRF2D(width, height, num_labels)
        if self.unary == 'label':
            unary = unary_from_labels(
                scores.argmax(0), num_labels, gt_prob=self.gt_prob, zero_unsure=False
            )
        else:
            probs = scores / np.maximum(scores.sum(0, keepdims=True), 1e-8)
            unary = unary_from_softmax(probs.clip(1e-5, 1).astype(np.float32))
        crf.setUnaryEnergy(np.ascontiguousarray(unary, dtype=np.float32))
        pos_sxy, bi_sxy = self.spatial_widths(height, width)
        crf.addPairwiseGaussian(sxy=pos_sxy, compat=self.pos[1])
        _, srgb, compat = self.bilateral
        crf.addPairwiseBilateral(
            sxy=bi_sxy, srgb=srgb, compat=compat, rgbim=np.ascontiguousarray(image, dtype=np.uint8)
        )
        return np.asarray(crf.inference(self.iterations), dtype=np.float32)
