"""Multi-label explanation metrics of seed 002 (A.1.3), macro-averaged (B.1.2)."""
from typing import Dict, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from wsss_mm.registry import METRICS

#: metric keys, in the order of Tables 3 / 4 of seed 002
XAI_KEYS = ('IC', 'AD', 'ADO', 'AR', 'ARO', 'F1-', 'F1+')


def _relative_drop(base: np.ndarray, new: np.ndarray) -> np.ndarray:
    """``max(0, base − new) / base``, 0 where ``base`` is 0."""
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(base > 0, np.maximum(base - new, 0) / base, 0.0)


def _harmonic_mean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``2ab / (a + b)``, 0 where ``a + b`` is 0."""
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(a + b > 0, 2 * a * b / (a + b), 0.0)


def pair_terms(labels: np.ndarray, scores: np.ndarray, masked: np.ndarray,
               complement: np.ndarray) -> Dict[str, np.ndarray]:
    """The terms of Eqs. 12-16 of every present class of one image.

    Args:
        labels (np.ndarray): (C,) multi-hot ground truth; its n present
            classes, in increasing order, are the rows of ``masked`` /
            ``complement``.
        scores (np.ndarray): (C,) ``Y``: class probabilities of the image.
        masked (np.ndarray): (n, C) ``O``: probabilities of ``M^c ∘ x``, one
            row per present class c.
        complement (np.ndarray): (n, C) ``Ō``: probabilities of
            ``(1 − M^c) ∘ x``.

    Returns:
        dict: ``cls`` (n,) class ids and, (n,) each, ``IC`` (``[Y_c < O_c]``),
        ``AD``, ``AR`` and the means over the other present classes ``ADO``,
        ``ARO`` (0 when c is the only present class: the empty sum of Eqs.
        14 and 16).
    """
    cls = np.flatnonzero(labels)
    rows = np.arange(len(cls))
    drop = _relative_drop(scores[None], masked)  # (n, C)
    retained = _relative_drop(scores[None], complement)
    others = np.broadcast_to(labels > 0, drop.shape).copy()
    others[rows, cls] = False
    num_others = np.maximum(others.sum(1), 1)
    return dict(cls=cls,
                IC=(scores[cls] < masked[rows, cls]).astype(np.float64),
                AD=drop[rows, cls],
                AR=retained[rows, cls],
                ADO=(drop * others).sum(1) / num_others,
                ARO=(retained * others).sum(1) / num_others)


def macro_xai_metrics(terms: Sequence[Dict[str, np.ndarray]],
                      num_classes: int) -> Dict[str, float]:
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
        per_class[key] = np.bincount(cls, weights=values, minlength=num_classes)[seen] \
            / counts[seen]
    per_class['F1-'] = _harmonic_mean(per_class['AD'], per_class['ARO'])
    per_class['F1+'] = _harmonic_mean(per_class['ADO'], per_class['AR'])
    return {key: float(per_class[key].mean() * 100) if seen.any() else float('nan')
            for key in XAI_KEYS}


@METRICS.register_module()
class MultiLabelXAIMetric(BaseMetric):
    """Explanation quality of class activation maps in multi-label images.

    The multi-label metrics of seed 002 (A.1.3, Eqs. 12-16; macro-averaged
    over classes as in its B.1.2), for the maps ``M^c`` of every present
    class ``c`` of an image ``x`` with scores ``Y = f(x)``,
    ``O^c = f(M^c ∘ x)`` and ``Ō^c = f((1 − M^c) ∘ x)``:

    - %IC: rate of ``Y_c < O^c_c`` (higher is better);
    - %AD: ``max(0, Y_c − O^c_c) / Y_c`` (lower is better);
    - %ADO: the same drop for the other present classes (higher is better);
    - %AR: ``max(0, Y_c − Ō^c_c) / Y_c`` (higher is better);
    - %ARO: the same for the other present classes (lower is better);
    - F1−: harmonic mean of %AD and %ARO, both errors (lower is better);
    - F1+: harmonic mean of %ADO and %AR (higher is better).

    Each processed sample holds ``gt_labels`` (C,), ``pred_scores`` (C,)
    probabilities ``Y``, and ``masked_scores`` / ``complement_scores`` (n, C)
    probabilities ``O`` / ``Ō``, one row per present class in increasing
    class order (:func:`wsss_mm.apis.eval_xai.explanation_scores` makes them).
    """

    default_prefix = 'xai'

    def __init__(self, collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            arrays = [torch.as_tensor(sample[key]).cpu().double().numpy() for key in
                      ('gt_labels', 'pred_scores', 'masked_scores', 'complement_scores')]
            self.results.append(dict(num_classes=len(arrays[0]), **pair_terms(*arrays)))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        num_classes = results[0]['num_classes'] if results else 0
        return macro_xai_metrics(results, num_classes)
