"""Backbones of wsss_mm."""

from .dilated_vgg import DilatedVGG
from .resnet38d import ResNet38d

__all__ = ['DilatedVGG', 'ResNet38d']
