from .aspp_v2_head import ASPPV2Head
from .gap_cls_head import GAPClassifierHead
from .kur_head import KURHead

__all__ = ['ASPPV2Head', 'GAPClassifierHead', 'KURHead']
