from .cam_loops import CAMTestLoop, CAMValLoop

__all__ = ['CAMValLoop', 'CAMTestLoop']
