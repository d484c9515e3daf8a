"""Backbones of wsss_mm."""

from .resnet38d import ResNet38d

__all__ = ['ResNet38d']
