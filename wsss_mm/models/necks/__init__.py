"""Necks between a backbone and a head: the group-wise GNN of Group-WSSS, a stack of convs."""

from .conv_stack_neck import ConvStackNeck
from .group_gnn import GroupGNN, group_adjacency

__all__ = ['ConvStackNeck', 'GroupGNN', 'group_adjacency']
