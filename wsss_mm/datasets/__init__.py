from .transforms import *  # noqa: F401,F403
from .voc_cls import VOCClsDataset

__all__ = ['VOCClsDataset']
