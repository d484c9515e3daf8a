from .affinity_net import AffinityNet

__all__ = ['AffinityNet']
