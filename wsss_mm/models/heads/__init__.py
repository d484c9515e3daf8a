from .gap_cls_head import GAPClassifierHead

__all__ = ['GAPClassifierHead']
