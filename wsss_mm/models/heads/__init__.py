from .aspp_v2_head import ASPPV2Head
from .feature_binding_head import FeatureBindingHead
from .gap_cls_head import GAPClassifierHead
from .kur_head import KURHead

__all__ = ['ASPPV2Head', 'FeatureBindingHead', 'GAPClassifierHead', 'KURHead']
