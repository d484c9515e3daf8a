from .affinity_net import AffinityNet
from .c2am import C2AM

__all__ = ['AffinityNet', 'C2AM']
