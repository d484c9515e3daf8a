"""Multi-label explanation metrics of seed 002 (A.1.3), macro-averaged (B.1.2)."""

from typing import Dict, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from wsss_mm.registry import METRICS

#: metric keys, in the order of Tables 3 / 4 of seed 002
XAI_KEYS = ('IC', 'AD', 'ADO', 'AR', 'ARO', 'F1-', 'F1+')
#: the count of images with no class to explain, reported beside ``XAI_KEYS``
NO_CLASS_KEY = 'images_without_classes'
#: where the classes to explain come from: the ground truth or the detections
XAI_CLASSES = ('labels', 'detected')


def _check_classes(classes: str) -> None:
    """Raises a ValueError unless ``classes`` is one of ``XAI_CLASSES``."""
    if classes not in XAI_CLASSES:
        raise ValueError(f'classes must be one of {XAI_CLASSES}, got "{classes}"')


def explained_classes(
    labels: torch.Tensor,
    scores: torch.Tensor,
    classes: str = 'labels',
    detect_threshold: float = 0.5,
) -> torch.Tensor:
    """The classes to explain in each image: ``c`` and the candidates of ``N_x``.

    Args:
        labels (Tensor): (..., C) multi-hot ground truth.
        scores (Tensor): (..., C) ``Y = sigmoid(logits)`` of the unmasked images.
        classes (str): ``'labels'``: the ground-truth classes; ``'detected'``:
            ``Y > detect_threshold``, whether in the ground truth or not.
        detect_threshold (float): for ``'detected'``.

    Returns:
        Tensor: (..., C) multi-hot, of the dtype of ``labels``.
    """
    _check_classes(classes)
    if classes == 'labels':
        return labels
    return (scores > detect_threshold).to(labels.dtype)


def _relative_drop(base: np.ndarray, new: np.ndarray) -> np.ndarray:
    """``max(0, base − new) / base``, 0 where ``base`` is 0."""
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(base > 0, np.maximum(base - new, 0) / base, 0.0)


def _harmonic_mean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``2ab / (a + b)``, 0 where ``a + b`` is 0."""
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(a + b > 0, 2 * a * b / (a + b), 0.0)


def pair_terms(
    explained: np.ndarray, scores: np.ndarray, masked: np.ndarray, complement: np.ndarray
) -> Dict[str, np.ndarray]:
    """The terms of Eqs. 12-16 of every explained class of one image.

    Args:
        explained (np.ndarray): (C,) multi-hot of the explained classes
            (:func:`explained_classes`); its n classes, in increasing order,
            are the rows of ``masked`` / ``complement``, and the others of a
            class c are the other n − 1.
        scores (np.ndarray): (C,) ``Y``: class probabilities of the image.
        masked (np.ndarray): (n, C) ``O``: probabilities of ``M^c ∘ x``, one
            row per explained class c.
        complement (np.ndarray): (n, C) ``Ō``: probabilities of
            ``(1 − M^c) ∘ x``.

    Returns:
        dict: ``cls`` (n,) class ids and, (n,) each, ``IC`` (``[Y_c < O_c]``),
        ``AD``, ``AR`` and the means over the other explained classes ``ADO``,
        ``ARO`` (0 when c is the only one: the empty sum of Eqs. 14 and 16).
        n = 0 gives empty arrays.
    """
    cls = np.flatnonzero(explained)
    rows = np.arange(len(cls))
    drop = _relative_drop(scores[None], masked)  # (n, C)
    retained = _relative_drop(scores[None], complement)
    others = np.broadcast_to(explained > 0, drop.shape).copy()
    others[rows, cls] = False
    num_others = np.maximum(others.sum(1), 1)
    return dict(
        cls=cls,
        IC=(scores[cls] < masked[rows, cls]).astype(np.float64),
        AD=drop[rows, cls],
        AR=retained[rows, cls],
        ADO=(drop * others).sum(1) / num_others,
        ARO=(retained * others).sum(1) / num_others,
    )


def macro_xai_metrics(terms: Sequence[Dict[str, np.ndarray]], num_classes: int) -> Dict[str, float]:
    """Macro-averaged %IC, %AD, %ADO, %AR, %ARO, F1− and F1+ (in percent).

    Each term is averaged over the (image, class) pairs of each class, then
    F1− = HM(%AD, %ARO) and F1+ = HM(%ADO, %AR) per class, and every metric is
    averaged over the classes with at least one pair (seed 002, B.1.2).

    Args:
        terms (Sequence[dict]): :func:`pair_terms` of each image.
        num_classes (int): C.
    """
    cls = np.concatenate([t['cls'] for t in terms]) if terms else np.zeros(0, np.int64)
    counts = np.bincount(cls, minlength=num_classes)
    seen = counts > 0
    per_class = {}
    for key in ('IC', 'AD', 'ADO', 'AR', 'ARO'):
        values = np.concatenate([t[key] for t in terms]) if terms else np.zeros(0)
        per_class[key] = (
            np.bincount(cls, weights=values, minlength=num_classes)[seen] / counts[seen]
        )
    per_class['F1-'] = _harmonic_mean(per_class['AD'], per_class['ARO'])
    per_class['F1+'] = _harmonic_mean(per_class['ADO'], per_class['AR'])
    return {
        key: float(per_class[key].mean() * 100) if seen.any() else float('nan') for key in XAI_KEYS
    }


@METRICS.register_module()
class MultiLabelXAIMetric(BaseMetric):
    """Explanation quality of class activation maps in multi-label images.

    The multi-label metrics of seed 002 (A.1.3, Eqs. 12-16; macro-averaged
    over classes as in its B.1.2), for the maps ``M^c`` of every explained
    class ``c`` of an image ``x`` with scores ``Y = f(x)``,
    ``O^c = f(M^c ∘ x)`` and ``Ō^c = f((1 − M^c) ∘ x)``:

    - %IC: rate of ``Y_c < O^c_c`` (higher is better);
    - %AD: ``max(0, Y_c − O^c_c) / Y_c`` (lower is better);
    - %ADO: the same drop for the other explained classes (higher is better);
    - %AR: ``max(0, Y_c − Ō^c_c) / Y_c`` (higher is better);
    - %ARO: the same for the other explained classes (lower is better);
    - F1−: harmonic mean of %AD and %ARO, both errors (lower is better);
    - F1+: harmonic mean of %ADO and %AR (higher is better).

    The explained classes, both ``c`` and the others ``N_x``, are the
    ground-truth classes by default (``classes='labels'``): WSSS makes its
    CAMs for the ground-truth label set, and every method is then measured
    on the same (image, class) pairs. ``classes='detected'`` takes the
    classes with ``Y > detect_threshold`` instead, as the authors' notebook
    (``lucasdavid/minmax-cam``): a ground-truth class the model misses is
    not explained, a detected class absent from the ground truth is. An
    image with no explained class contributes no pair; the result counts
    such images under ``NO_CLASS_KEY``.

    Each processed sample holds ``gt_labels`` (C,), ``pred_scores`` (C,)
    probabilities ``Y``, and ``masked_scores`` / ``complement_scores`` (n, C)
    probabilities ``O`` / ``Ō``, one row per explained class in increasing
    class order (:func:`wsss_mm.apis.eval_xai.explanation_scores` makes them).

    Args:
        classes (str): ``'labels'`` (default) or ``'detected'``, see above.
        detect_threshold (float): for ``'detected'``. Default: 0.5.
    """

    default_prefix = 'xai'

    def __init__(
        self,
        classes: str = 'labels',
        detect_threshold: float = 0.5,
        collect_device: str = 'cpu',
        prefix: Optional[str] = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        _check_classes(classes)
        self.classes = classes
        self.detect_threshold = detect_threshold

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            labels, scores, masked, complement = (
                torch.as_tensor(sample[key]).cpu().double()
                for key in ('gt_labels', 'pred_scores', 'masked_scores', 'complement_scores')
            )
            explained = explained_classes(labels, scores, self.classes, self.detect_threshold)
            num_pairs = int(explained.sum())
            if len(masked) != num_pairs or len(complement) != num_pairs:
                raise ValueError(
                    f'{len(masked)} masked and {len(complement)} complement '
                    f'rows for {num_pairs} explained classes '
                    f'(classes="{self.classes}")'
                )
            self.results.append(
                dict(
                    num_classes=len(labels),
                    **pair_terms(
                        explained.numpy(), scores.numpy(), masked.numpy(), complement.numpy()
                    ),
                )
            )

    def compute_metrics(self, results: list) -> Dict[str, float]:
        num_classes = results[0]['num_classes'] if results else 0
        return {
            **macro_xai_metrics(results, num_classes),
            NO_CLASS_KEY: sum(len(r['cls']) == 0 for r in results),
        }
