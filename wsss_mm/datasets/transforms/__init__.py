from .cam_hint import LoadCAMHint
from .complementary_patches import (
    GridComplementaryPatches,
    PackCPInputs,
    SuperpixelComplementaryPatches,
)
from .formatting import PackCAMInputs
from .loading import LoadImage, LoadMask
from .pack_seg_mix_inputs import PackSegMixInputs

__all__ = [
    'LoadImage',
    'LoadMask',
    'LoadCAMHint',
    'PackCAMInputs',
    'SuperpixelComplementaryPatches',
    'GridComplementaryPatches',
    'PackCPInputs',
    'PackSegMixInputs',
]
