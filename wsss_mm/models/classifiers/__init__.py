from .cam_classifier import CAMClassifier
from .cpn import CPN
from .group_wsss import GroupWSSS
from .oc_cse import OCCSE
from .pnoc import PNOC
from .puzzle_cam import PuzzleCAM

__all__ = ['CAMClassifier', 'CPN', 'GroupWSSS', 'OCCSE', 'PNOC', 'PuzzleCAM']
