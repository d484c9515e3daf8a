from .complementary_patches import (GridComplementaryPatches, PackCPInputs,
                                    SuperpixelComplementaryPatches, complementary_pair)
from .formatting import PackCAMInputs
from .loading import LoadImage, LoadMask

__all__ = [
    'LoadImage', 'LoadMask', 'PackCAMInputs', 'SuperpixelComplementaryPatches',
    'GridComplementaryPatches', 'PackCPInputs', 'complementary_pair'
]
