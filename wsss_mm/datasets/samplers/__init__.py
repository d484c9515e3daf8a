from .group_sampler import GroupSampler

__all__ = ['GroupSampler']
