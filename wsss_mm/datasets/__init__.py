from .pseudo_mask_dataset import PseudoMaskDataset
from .transforms import *  # noqa: F401,F403
from .voc_cls import VOCClsDataset

__all__ = ['PseudoMaskDataset', 'VOCClsDataset']
