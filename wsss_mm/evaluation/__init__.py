from .ground_truth import gt_mask_dirs, has_ground_truth, load_pair
from .iou import confusion_matrix, iou_from_confusion
from .label_map_miou import ReadLabelMap, eval_label_dir, evaluate_label_maps
from .metrics import *  # noqa: F401,F403
from .seed_miou import ThresholdSweep
from .subsets import image_subsets

__all__ = [
    'gt_mask_dirs',
    'has_ground_truth',
    'load_pair',
    'confusion_matrix',
    'iou_from_confusion',
    'ReadLabelMap',
    'eval_label_dir',
    'evaluate_label_maps',
    'ThresholdSweep',
    'image_subsets',
]
