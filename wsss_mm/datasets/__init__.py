from .cluster_mix_dataset import ClusterMixDataset
from .coco_cls import COCOClsDataset
from .coco_seg import COCOSegDataset
from .pseudo_mask_dataset import PseudoMaskDataset
from .samplers import *  # noqa: F401,F403
from .transforms import *  # noqa: F401,F403
from .voc_cls import VOCClsDataset

__all__ = [
    'ClusterMixDataset',
    'COCOClsDataset',
    'COCOSegDataset',
    'PseudoMaskDataset',
    'VOCClsDataset',
]
