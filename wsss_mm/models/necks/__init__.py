"""Necks between a backbone and a head: the group-wise GNN of Group-WSSS."""

from .group_gnn import GroupGNN, group_adjacency

__all__ = ['GroupGNN', 'group_adjacency']
