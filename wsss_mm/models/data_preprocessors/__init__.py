from .batch_augments import *  # noqa: F401,F403
from .mix_seg_data_preprocessor import MixSegDataPreProcessor

__all__ = ['MixSegDataPreProcessor']
