"""Group-wise graph neural network of Group-WSSS (seed 004, Eqs. 1-11)."""

from typing import Optional, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from wsss_mm.models.layers.conv_gru import ConvGRUCell
from wsss_mm.registry import MODELS

GNN_AGGREGATIONS = ('sum', 'concat')
GNN_EDGES = ('shared_class', 'full')


def group_adjacency(
    labels: torch.Tensor, group_size: int, edges: str = 'shared_class'
) -> torch.Tensor:
    """Edges of the group graphs, self-edges included.

    Args:
        labels (Tensor): (N, L) multi-hot image labels; the batch is made of
            N / K consecutive groups of K images.
        group_size (int): K.
        edges (str): ``'shared_class'`` (the paper's): images of a group
            sharing a class; ``'full'`` (the authors' code): every pair of the
            group, whatever the labels.

    Returns:
        Tensor: (N / K, K, K) bool; ``[g, i, j]`` is True when images i and j
        of group g are joined, and on the diagonal.

    Raises:
        ValueError: if N is not a multiple of K, or ``edges`` is unknown.
    """
    num_images = labels.shape[0]
    if group_size < 1 or num_images % group_size:
        raise ValueError(
            f'the batch of {num_images} images is not made of groups of {group_size} images'
        )
    if edges not in GNN_EDGES:
        raise ValueError(f'edges must be one of {GNN_EDGES}, got "{edges}"')
    num_groups = num_images // group_size
    if edges == 'full':
        return torch.ones(
            num_groups, group_size, group_size, dtype=torch.bool, device=labels.device
        )
    present = (labels > 0.5).float().view(num_groups, group_size, -1)
    shared = torch.einsum('gic,gjc->gij', present, present) > 0
    eye = torch.eye(group_size, dtype=torch.bool, device=labels.device)
    return shared | eye


def neighbour_index(group_size: int, device=None) -> torch.Tensor:
    """Each node's neighbours in index order, itself left out: the order of
    the authors' concatenation of a node's messages.

    Args:
        group_size (int): K.

    Returns:
        Tensor: (K, K - 1) int64; row i is ``[j for j in range(K) if j != i]``.
    """
    slot = torch.arange(group_size - 1, device=device)[None, :]
    node = torch.arange(group_size, device=device)[:, None]
    return slot + (slot >= node).long()


@MODELS.register_module()
class GroupGNN(BaseModule):
    """Message passing between the maps of a group of images.

    From X. Li et al., "Group-Wise Semantic Mining for Weakly Supervised
    Semantic Segmentation" (AAAI 2021). Each image of a group of K is a node
    whose state is a map ``h_i`` (C, h, w): the backbone's features (the
    paper) or the C class maps (the authors' code: ``GroupWSSS`` decides). Edges
    (:func:`group_adjacency`) join two images of the group that share a
    ground-truth class (``edges='shared_class'``, the paper) or every pair
    (``'full'``, the code). At inference (``labels=None``) every image is a
    graph of its own, so an image's output does not depend on the rest of the
    batch.

    Each of the T rounds (parameters shared over rounds):

    - co-attention (Eq. 5): ``e_ij = h_i P Qᵀ h_jᵀ`` (hw x hw), with P, Q
      1x1 projections to ``C / reduction`` channels (the low-rank factors;
      with a bias in the code, ``proj_bias``);
    - neighbour messages (Eq. 7): ``m_ji = softmax_rows(e_ij) h_j``, each gated
      by ``sigmoid(1x1 conv(m_ji))`` (one channel; bias-free in the code,
      ``gate_bias``);
    - aggregation, ``'sum'`` (the paper, Eqs. 6 and 8): the self message, a
      non-local self-attention with a residual
      ``softmax(φ_f(h_i) φ_g(h_i)ᵀ) φ_h(h_i) + h_i``, plus the sum of the
      neighbours' messages; ``'concat'`` (the code): the K - 1 neighbours'
      messages concatenated in index order (:func:`neighbour_index`) and
      fused by a 3x3 conv, no self message;
    - the ConvGRU update of Eq. 2 (:class:`~wsss_mm.models.layers.ConvGRUCell`,
      kernel ``gru_kernel_size``: 1 in the code);
    - graph dropout (Eqs. 10-11, training only), whose output is the next
      round's state.

    All K x K pair attentions of all groups are computed with one einsum per
    round; messages along absent edges are masked out (zero).

    Args:
        in_channels (int): C, channels of the node maps.
        group_size (int): K, images per group (4; the code's 3). With
            ``'concat'`` the fusion takes K - 1 messages; a batch of smaller
            groups (group inference) leaves the last slots empty.
        num_rounds (int): T, message passing rounds (3).
        reduction (int): d, the reduction ratio of the low-rank factors P, Q
            (C x C/d) and of the self-attention's φ_f, φ_g (4; the code's 2).
        dropout (dict, optional): config of the graph dropout
            (``GraphDropout``); None: no dropout.
        aggregation (str): ``'sum'`` or ``'concat'``, see above. Default: 'sum'.
        edges (str): ``'shared_class'`` or ``'full'``. Default: 'shared_class'.
        proj_bias (bool): biases on P and Q. Default: False.
        gate_bias (bool): a bias on the message gate. Default: True.
        gru_kernel_size (int): the ConvGRU's kernel. Default: 3.
        init_cfg (dict | list[dict], optional): initialisation config, e.g.
            the code's ``dict(type='Normal', std=0.01, layer='Conv2d')``.
    """

    def __init__(
        self,
        in_channels: int,
        group_size: int = 4,
        num_rounds: int = 3,
        reduction: int = 4,
        dropout: Optional[dict] = dict(type='GraphDropout'),
        aggregation: str = 'sum',
        edges: str = 'shared_class',
        proj_bias: bool = False,
        gate_bias: bool = True,
        gru_kernel_size: int = 3,
        init_cfg: Optional[Union[dict, list]] = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        if in_channels % reduction:
            raise ValueError(
                f'in_channels {in_channels} is not a multiple of reduction {reduction}'
            )
        if group_size < 1 or num_rounds < 1:
            raise ValueError(
                f'group_size ({group_size}) and num_rounds ({num_rounds}) must be positive'
            )
        if aggregation not in GNN_AGGREGATIONS:
            raise ValueError(f'aggregation must be one of {GNN_AGGREGATIONS}, got "{aggregation}"')
        if edges not in GNN_EDGES:
            raise ValueError(f'edges must be one of {GNN_EDGES}, got "{edges}"')
        if aggregation == 'concat' and group_size < 2:
            raise ValueError('aggregation "concat" fuses the K - 1 neighbours: group_size >= 2')
        self.in_channels = in_channels
        self.group_size = group_size
        self.num_rounds = num_rounds
        self.aggregation = aggregation
        self.edges = edges
        rank = in_channels // reduction
        self.proj_p = nn.Conv2d(in_channels, rank, 1, bias=proj_bias)
        self.proj_q = nn.Conv2d(in_channels, rank, 1, bias=proj_bias)
        self.gate = nn.Conv2d(in_channels, 1, 1, bias=gate_bias)
        if aggregation == 'sum':
            self.query = nn.Conv2d(in_channels, rank, 1)
            self.key = nn.Conv2d(in_channels, rank, 1)
            self.value = nn.Conv2d(in_channels, in_channels, 1)
        else:
            self.fusion = nn.Conv2d(in_channels * (group_size - 1), in_channels, 3, padding=1)
        self.gru = ConvGRUCell(in_channels, in_channels, kernel_size=gru_kernel_size)
        self.dropout = MODELS.build(dropout) if dropout is not None else nn.Identity()

    def pair_scores(self, nodes: torch.Tensor) -> torch.Tensor:
        """Co-attention logits of every ordered pair of a group (Eq. 5).

        Args:
            nodes (Tensor): (G, K, C, h, w) node states.

        Returns:
            Tensor: (G, K, K, hw, hw); ``[g, i, j]`` is ``e_ij = h_i P Qᵀ h_jᵀ``,
            rows over node i's positions, columns over node j's.
        """
        num_groups, size = nodes.shape[:2]
        flat = nodes.flatten(0, 1)
        p = self.proj_p(flat).view(num_groups, size, -1, flat.shape[-2] * flat.shape[-1])
        q = self.proj_q(flat).view(num_groups, size, -1, flat.shape[-2] * flat.shape[-1])
        return torch.einsum('gidl,gjdm->gijlm', p, q)

    def self_message(self, x: torch.Tensor) -> torch.Tensor:
        """Self-attention with a residual (Eq. 6).

        Args:
            x (Tensor): (N, C, h, w) node states.

        Returns:
            Tensor: (N, C, h, w).
        """
        query = self.query(x).flatten(2)
        key = self.key(x).flatten(2)
        value = self.value(x).flatten(2)
        attention = torch.einsum('ndl,ndm->nlm', query, key).softmax(dim=-1)
        return torch.einsum('nlm,ncm->ncl', attention, value).view_as(x) + x

    def pair_messages(self, x: torch.Tensor, adjacency: torch.Tensor) -> torch.Tensor:
        """The gated message of every ordered pair (Eq. 7), zero along absent
        edges and on the diagonal.

        Args:
            x (Tensor): (N, C, h, w) node states, N = G * K.
            adjacency (Tensor): (G, K, K) bool edges.

        Returns:
            Tensor: (G, K, K, C, hw); ``[g, i, j]`` is ``m_ji``, j's message to i.
        """
        num_groups, size = adjacency.shape[:2]
        channels, height, width = x.shape[1:]
        attention = self.pair_scores(x.view(num_groups, size, channels, height, width))
        values = x.view(num_groups, size, channels, height * width)
        messages = torch.einsum('gijlm,gjcm->gijcl', attention.softmax(dim=-1), values)
        messages = messages.reshape(-1, channels, height, width)
        gated = messages * torch.sigmoid(self.gate(messages))
        neighbours = adjacency & ~torch.eye(size, dtype=torch.bool, device=x.device)
        gated = gated.view(num_groups, size, size, channels, height * width)
        return gated * neighbours[..., None, None].to(x.dtype)

    def neighbour_messages(self, x: torch.Tensor, adjacency: torch.Tensor) -> torch.Tensor:
        """The aggregated messages of each node's neighbours: their sum
        (``'sum'``, Eq. 8) or their fusion (``'concat'``).

        Args:
            x (Tensor): (N, C, h, w) node states, N = G * K.
            adjacency (Tensor): (G, K, K) bool edges.

        Returns:
            Tensor: (N, C, h, w); for ``'sum'`` zero for a node without
            neighbours.
        """
        num_groups, size = adjacency.shape[:2]
        channels, height, width = x.shape[1:]
        if size == 1:  # no pair: no co-attention to compute
            gated = x.new_zeros(num_groups, 1, 1, channels, height * width)
        else:
            gated = self.pair_messages(x, adjacency)
        if self.aggregation == 'sum':
            return gated.sum(dim=2).reshape_as(x)
        # 'concat': node i's K - 1 neighbours in index order, then empty slots up to
        # the fusion's K₀ - 1 (group inference with smaller groups)
        index = neighbour_index(size, x.device)
        nodes = torch.arange(size, device=x.device)[:, None]
        stacked = gated[:, nodes, index]  # (G, K, K - 1, C, hw)
        empty = self.group_size - size
        if empty:
            stacked = torch.cat(
                [stacked, stacked.new_zeros(*stacked.shape[:2], empty, *stacked.shape[3:])], dim=2
            )
        stacked = stacked.reshape(-1, (self.group_size - 1) * channels, height, width)
        return self.fusion(stacked)

    def forward(
        self,
        feats: torch.Tensor,
        labels: Optional[torch.Tensor] = None,
        group_size: Optional[int] = None,
    ) -> torch.Tensor:
        """
        Args:
            feats (Tensor): (N, C, h, w) node maps of N / K consecutive groups
                of K images.
            labels (Tensor, optional): (N, L) multi-hot image labels, which
                define the edges (``edges='shared_class'``); None (inference):
                no edges, every image a graph of its own.
            group_size (int, optional): K for this batch; default
                ``self.group_size``.

        Returns:
            Tensor: (N, C, h, w), the node states after T rounds.

        Raises:
            ValueError: if labels are given and N is not a multiple of K, the
                labels are not one row per image, or (``'concat'``) the groups
                are larger than ``self.group_size``.
        """
        if feats.shape[1] != self.in_channels:
            raise ValueError(f'expected {self.in_channels} feature channels, got {feats.shape[1]}')
        num_images = feats.shape[0]
        if labels is None:
            group_size = 1
            labels = torch.ones(num_images, 1, device=feats.device)
        elif labels.shape[0] != num_images:
            raise ValueError(f'{labels.shape[0]} label rows for {num_images} images')
        group_size = self.group_size if group_size is None else group_size
        if self.aggregation == 'concat' and group_size > self.group_size:
            raise ValueError(
                f'aggregation "concat" fuses {self.group_size - 1} neighbours: groups of '
                f'{group_size} images are too large'
            )
        adjacency = group_adjacency(labels, group_size, self.edges)
        hidden = feats
        for _ in range(self.num_rounds):
            message = self.neighbour_messages(hidden, adjacency)
            if self.aggregation == 'sum':
                message = message + self.self_message(hidden)
            hidden = self.dropout(self.gru(message, hidden))
        return hidden
