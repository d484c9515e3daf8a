from .affinity_net import AffinityNet
from .binding_segmentor import BindingSegmentor
from .c2am import C2AM

__all__ = ['AffinityNet', 'BindingSegmentor', 'C2AM']
