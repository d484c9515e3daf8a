"""Backbones of wsss_mm."""

from .dilated_resnest import DilatedResNeSt
from .dilated_vgg import DilatedVGG
from .resnet38d import ResNet38d

__all__ = ['DilatedResNeSt', 'DilatedVGG', 'ResNet38d']
