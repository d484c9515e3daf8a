"""Convolutional GRU cell, the node update of Group-WSSS (seed 004, Eq. 2)."""

import torch
import torch.nn as nn


class ConvGRUCell(nn.Module):
    """A GRU cell whose gates are convolutions over the feature map.

    From N. Ballas et al., "Delving Deeper into Convolutional Networks for
    Learning Video Representations" (ICLR 2016), the aggregation function
    ``F_A`` of X. Li et al., "Group-Wise Semantic Mining for Weakly Supervised
    Semantic Segmentation" (AAAI 2021), Eq. 2. With ``m`` the message, ``h``
    the hidden state and ``[·, ·]`` channel concatenation::

        z  = sigmoid(W_z * [m, h])          update gate
        r  = sigmoid(W_r * [m, h])          reset gate
        h~ = tanh(W_h * [m, r ⊙ h])         candidate
        h' = (1 - z) ⊙ h + z ⊙ h~

    as the authors' ``models/ConvGRU.py``: ``z = 0`` keeps the old state.

    Args:
        in_channels (int): channels of the message.
        hidden_channels (int): channels of the hidden state.
        kernel_size (int): odd kernel size of the three convolutions (3).
    """

    def __init__(self, in_channels: int, hidden_channels: int, kernel_size: int = 3) -> None:
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f'kernel_size must be odd to keep the map size, got {kernel_size}')
        cat_channels = in_channels + hidden_channels
        padding = kernel_size // 2
        self.update_gate = nn.Conv2d(cat_channels, hidden_channels, kernel_size, padding=padding)
        self.reset_gate = nn.Conv2d(cat_channels, hidden_channels, kernel_size, padding=padding)
        self.candidate = nn.Conv2d(cat_channels, hidden_channels, kernel_size, padding=padding)

    def forward(self, message: torch.Tensor, hidden: torch.Tensor) -> torch.Tensor:
        """
        Args:
            message (Tensor): (B, in_channels, h, w).
            hidden (Tensor): (B, hidden_channels, h, w), the previous state.

        Returns:
            Tensor: (B, hidden_channels, h, w), the new state.
        """
        if message.shape[0] != hidden.shape[0] or message.shape[2:] != hidden.shape[2:]:
            raise ValueError(
                f'message {tuple(message.shape)} and hidden {tuple(hidden.shape)} must share '
                'the batch size and the map size'
            )
        stacked = torch.cat([message, hidden], dim=1)
        update = torch.sigmoid(self.update_gate(stacked))
        reset = torch.sigmoid(self.reset_gate(stacked))
        candidate = torch.tanh(self.candidate(torch.cat([message, reset * hidden], dim=1)))
        return (1 - update) * hidden + update * candidate
