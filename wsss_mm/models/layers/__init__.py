"""Layers shared by CAM networks: PCM, PRCM."""

from .pcm import PCM
from .prcm import PRCM

__all__ = ['PCM', 'PRCM']
