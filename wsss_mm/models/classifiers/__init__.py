from .cam_classifier import CAMClassifier
from .cpn import CPN

__all__ = ['CAMClassifier', 'CPN']
