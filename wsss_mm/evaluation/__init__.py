from .iou import confusion_matrix, iou_from_confusion
from .metrics import *  # noqa: F401,F403
from .seed_miou import ThresholdSweep

__all__ = ['confusion_matrix', 'iou_from_confusion', 'ThresholdSweep']
