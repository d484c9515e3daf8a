from .pseudo_mask_dataset import PseudoMaskDataset
from .samplers import *  # noqa: F401,F403
from .transforms import *  # noqa: F401,F403
from .voc_cls import VOCClsDataset

__all__ = ['PseudoMaskDataset', 'VOCClsDataset']
