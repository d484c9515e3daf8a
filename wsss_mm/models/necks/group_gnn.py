"""Group-wise graph neural network of Group-WSSS (seed 004, Eqs. 1-11)."""

from typing import Optional, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from wsss_mm.models.layers.conv_gru import ConvGRUCell
from wsss_mm.registry import MODELS


def group_adjacency(labels: torch.Tensor, group_size: int) -> torch.Tensor:
    """Edges of the group graphs: images of a group sharing a class, plus self-edges.

    Args:
        labels (Tensor): (N, L) multi-hot image labels; the batch is made of
            N / K consecutive groups of K images.
        group_size (int): K.

    Returns:
        Tensor: (N / K, K, K) bool; ``[g, i, j]`` is True when images i and j
        of group g share at least one class, and on the diagonal.

    Raises:
        ValueError: if N is not a multiple of K.
    """
    num_images = labels.shape[0]
    if group_size < 1 or num_images % group_size:
        raise ValueError(
            f'the batch of {num_images} images is not made of groups of {group_size} images'
        )
    present = (labels > 0.5).float().view(num_images // group_size, group_size, -1)
    shared = torch.einsum('gic,gjc->gij', present, present) > 0
    eye = torch.eye(group_size, dtype=torch.bool, device=labels.device)
    return shared | eye


@MODELS.register_module()
class GroupGNN(BaseModule):
    """Message passing between the feature maps of a group of images.

    From X. Li et al., "Group-Wise Semantic Mining for Weakly Supervised
    Semantic Segmentation" (AAAI 2021). Each image of a group of K is a node
    whose state is its feature map ``h_i`` (C, h, w). Edges
    (:func:`group_adjacency`) join two images of the group that share a
    ground-truth class, and every node has a self-edge. At inference
    (``labels=None``) every image is a graph of its own: self-edge only, so an
    image's output does not depend on the rest of the batch.

    Each of the T rounds (parameters shared over rounds):

    - co-attention (Eq. 5): ``e_ij = h_i P Qᵀ h_jᵀ`` (hw x hw), with P, Q
      1x1 projections to ``C / reduction`` channels (the low-rank factors);
    - neighbour messages (Eq. 7): ``m_ji = softmax_rows(e_ij) h_j``, each gated
      by ``sigmoid(1x1 conv(m_ji))`` (one channel);
    - self message (Eq. 6): non-local self-attention with a residual,
      ``softmax(φ_f(h_i) φ_g(h_i)ᵀ) φ_h(h_i) + h_i``;
    - aggregation (Eq. 8): the sum of the self message and the messages of
      the neighbours, then the ConvGRU update of Eq. 2
      (:class:`~wsss_mm.models.layers.ConvGRUCell`);
    - graph dropout (Eqs. 10-11, training only), whose output is the next
      round's state.

    All K x K pair attentions of all groups are computed with one einsum per
    round; messages along absent edges are masked out.

    The authors' code fuses the messages with a 3x3 conv and runs the graph on
    20-channel class maps; here, as in the paper, messages are summed and the
    nodes are the backbone's feature maps.

    Args:
        in_channels (int): C, channels of the features (kept by the neck).
        group_size (int): K, images per group (4).
        num_rounds (int): T, message passing rounds (3).
        reduction (int): d, the reduction ratio of the low-rank factors P, Q
            (C x C/d) and of the self-attention's φ_f, φ_g (4).
        dropout (dict, optional): config of the graph dropout
            (``GraphDropout``); None: no dropout.
        init_cfg (dict | list[dict], optional): initialisation config.
    """

    def __init__(
        self,
        in_channels: int,
        group_size: int = 4,
        num_rounds: int = 3,
        reduction: int = 4,
        dropout: Optional[dict] = dict(type='GraphDropout'),
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
        self.in_channels = in_channels
        self.group_size = group_size
        self.num_rounds = num_rounds
        rank = in_channels // reduction
        self.proj_p = nn.Conv2d(in_channels, rank, 1, bias=False)
        self.proj_q = nn.Conv2d(in_channels, rank, 1, bias=False)
        self.gate = nn.Conv2d(in_channels, 1, 1)
        self.query = nn.Conv2d(in_channels, rank, 1)
        self.key = nn.Conv2d(in_channels, rank, 1)
        self.value = nn.Conv2d(in_channels, in_channels, 1)
        self.gru = ConvGRUCell(in_channels, in_channels)
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

    def neighbour_messages(self, x: torch.Tensor, neighbours: torch.Tensor) -> torch.Tensor:
        """Sum of the gated messages along the edges to other nodes (Eqs. 7-8).

        Args:
            x (Tensor): (N, C, h, w) node states, N = G * K.
            neighbours (Tensor): (G, K, K) bool, edges without the self-edges.

        Returns:
            Tensor: (N, C, h, w); zero for a node without neighbours.
        """
        num_groups, size = neighbours.shape[:2]
        channels, height, width = x.shape[1:]
        attention = self.pair_scores(x.view(num_groups, size, channels, height, width))
        values = x.view(num_groups, size, channels, height * width)
        messages = torch.einsum('gijlm,gjcm->gijcl', attention.softmax(dim=-1), values)
        messages = messages.reshape(-1, channels, height, width)
        gated = messages * torch.sigmoid(self.gate(messages))
        gated = gated.view(num_groups, size, size, channels, height * width)
        summed = torch.einsum('gij,gijcl->gicl', neighbours.to(x.dtype), gated)
        return summed.reshape_as(x)

    def forward(
        self,
        feats: torch.Tensor,
        labels: Optional[torch.Tensor] = None,
        group_size: Optional[int] = None,
    ) -> torch.Tensor:
        """
        Args:
            feats (Tensor): (N, C, h, w) features of N / K consecutive groups
                of K images.
            labels (Tensor, optional): (N, L) multi-hot image labels, which
                define the edges; None (inference): self-edges only, every
                image a graph of its own.
            group_size (int, optional): K for this batch; default
                ``self.group_size``.

        Returns:
            Tensor: (N, C, h, w), the node states after T rounds.

        Raises:
            ValueError: if labels are given and N is not a multiple of K, or
                the labels are not one row per image.
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
        adjacency = group_adjacency(labels, group_size)
        neighbours = adjacency & ~torch.eye(group_size, dtype=torch.bool, device=feats.device)
        hidden = feats
        for _ in range(self.num_rounds):
            message = self.self_message(hidden)
            if group_size > 1:
                message = message + self.neighbour_messages(hidden, neighbours)
            hidden = self.dropout(self.gru(message, hidden))
        return hidden
