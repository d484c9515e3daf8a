from .formatting import PackCAMInputs
from .loading import LoadImage, LoadMask

__all__ = ['LoadImage', 'LoadMask', 'PackCAMInputs']
