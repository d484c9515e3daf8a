"""Fully connected CRF over class scores (Krähenbühl & Koltun, NIPS 2011).

The CRF runs on pydensecrf2, an optional extra (it builds from source in about
70 s): ``pip install pydensecrf2==1.1`` or ``pip install -e ".[optional]"``.
Everything else of wsss_mm works without it; building a :class:`DenseCRF`
without it raises an ``ImportError`` that says how to install it.
"""
import importlib.util

import numpy as np

INSTALL_HINT = ('dense CRF needs the optional package pydensecrf2: '
                'pip install pydensecrf2==1.1  (or pip install -e ".[optional]")')


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

    Args:
        iterations (int): mean-field steps. Default: 10.
        pos_sxy (float): spatial std (pixels) of the Gaussian kernel. Default: 3.
        pos_compat (float): weight of the Gaussian kernel. Default: 3.
        bi_sxy (float): spatial std (pixels) of the bilateral kernel.
            Default: 50 (IRN; PSA 80).
        bi_srgb (float): colour std of the bilateral kernel. Default: 5
            (IRN; PSA 13).
        bi_compat (float): weight of the bilateral kernel. Default: 10.
        unary (str): ``'label'`` or ``'prob'``. Default: ``'label'``.
        gt_prob (float): confidence of the labels of the ``'label'`` unary.
            Default: 0.7.

    Raises:
        ImportError: pydensecrf2 is not installed (the message says how).
        ValueError: an unknown unary or a non-positive parameter.
    """

    UNARIES = ('label', 'prob')

    def __init__(self,
                 iterations: int = 10,
                 pos_sxy: float = 3.0,
                 pos_compat: float = 3.0,
                 bi_sxy: float = 50.0,
                 bi_srgb: float = 5.0,
                 bi_compat: float = 10.0,
                 unary: str = 'label',
                 gt_prob: float = 0.7) -> None:
        if not crf_available():
            raise ImportError(INSTALL_HINT)
        if unary not in self.UNARIES:
            raise ValueError(f'DenseCRF unary must be one of {self.UNARIES}, got "{unary}"')
        if iterations < 1 or min(pos_sxy, bi_sxy, bi_srgb) <= 0:
            raise ValueError('DenseCRF needs iterations >= 1 and positive kernel widths')
        if not 0 < gt_prob < 1:
            raise ValueError(f'DenseCRF gt_prob must be in (0, 1), got {gt_prob}')
        self.iterations = iterations
        self.pos = (pos_sxy, pos_compat)
        self.bilateral = (bi_sxy, bi_srgb, bi_compat)
        self.unary = unary
        self.gt_prob = gt_prob

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
            raise ValueError(f'CRF: image size {image.shape[:2]} differs from the '
                             f'score size {(height, width)}')
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
            unary = unary_from_labels(scores.argmax(0), num_labels, gt_prob=self.gt_prob,
                                      zero_unsure=False)
        else:
            probs = scores / np.maximum(scores.sum(0, keepdims=True), 1e-8)
            unary = unary_from_softmax(probs.clip(1e-5, 1).astype(np.float32))
        crf.setUnaryEnergy(np.ascontiguousarray(unary, dtype=np.float32))
        crf.addPairwiseGaussian(sxy=self.pos[0], compat=self.pos[1])
        sxy, srgb, compat = self.bilateral
        crf.addPairwiseBilateral(sxy=sxy, srgb=srgb, compat=compat,
                                 rgbim=np.ascontiguousarray(image, dtype=np.uint8))
        return np.asarray(crf.inference(self.iterations), dtype=np.float32)
