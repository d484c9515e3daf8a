"""Refinement thresholds tied to the seeds, not to one dataset.

The seed stage sweeps the background threshold on the training images
(IRN's ``eval_cam``, the field's protocol) and finds the threshold ``t`` at
which the CAMs best separate objects from background. The confident regions
that AffinityNet learns from lie on either side of it: IRN's VOC settings are
``t = 0.15`` (``cam_eval_thres``), confident foreground above 0.30 and
confident background below 0.05 (``conf_fg_thres``, ``conf_bg_thres``), i.e.
``2 t`` and ``t / 3``. :func:`affinity_thresholds` keeps these ratios for any
``t``, so CAMs whose seeds are best at 0.05 or at 0.30 get confident regions
in the same place relative to their own scale.
"""

from typing import Tuple

#: IRN's ratios: conf_fg_thres 0.30 and conf_bg_thres 0.05 around cam_eval_thres 0.15.
IRN_FG_RATIO = 2.0
IRN_BG_RATIO = 1 / 3
#: The derived thresholds stay inside these bounds (a threshold of 1 would
#: leave no confident foreground, one of 0 no confident background).
THRESHOLD_RANGE = (0.01, 0.95)


def affinity_thresholds(
    seed_threshold: float, fg_ratio: float = IRN_FG_RATIO, bg_ratio: float = IRN_BG_RATIO
) -> Tuple[float, float]:
    """The confident-foreground and confident-background thresholds of the
    affinity labels for seeds whose best background threshold is
    ``seed_threshold``.

    Args:
        seed_threshold (float): best background threshold of the seeds, in (0, 1).
        fg_ratio (float): confident foreground above ``fg_ratio * t``, >= 1.
        bg_ratio (float): confident background below ``bg_ratio * t``, in (0, 1].

    Returns:
        tuple: ``(fg_threshold, bg_threshold)``, each clipped to
        ``THRESHOLD_RANGE`` and rounded to 4 decimals.

    Raises:
        ValueError: a threshold outside (0, 1) or ratios on the wrong side of 1.
    """
    if not 0 < seed_threshold < 1:
        raise ValueError(f'seed threshold must be in (0, 1), got {seed_threshold}')
    if fg_ratio < 1 or not 0 < bg_ratio <= 1:
        raise ValueError(
            f'the ratios must satisfy fg_ratio >= 1 and 0 < bg_ratio <= 1, got '
            f'fg_ratio={fg_ratio}, bg_ratio={bg_ratio}'
        )
    low, high = THRESHOLD_RANGE

    def clip(value: float) -> float:
        return round(min(max(value, low), high), 4)

    return clip(fg_ratio * seed_threshold), clip(bg_ratio * seed_threshold)
