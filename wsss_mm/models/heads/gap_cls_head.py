"""Global-average-pooling classifier head of CAM networks."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from wsss_mm.registry import MODELS


@MODELS.register_module()
class GAPClassifierHead(BaseModule):
    """(dropout) -> GAP -> 1x1 classifier, bias-free as in CAM (Zhou et al.
    2016) and the IRN / PSA networks.

    Since the classifier is linear, ``GAP(A) W^T`` equals ``GAP(A W^T)``: the
    class activation map of class c is ``A · W_c`` (plus ``b_c`` with a bias,
    which moves every position alike: :meth:`class_maps`).

    Its class attribute ``linear_cam = True`` says so: in eval mode (no
    dropout) the logits are exactly ``GAP(A) @ cam_weights().T``, so the CAM
    methods take the logits' gradients in closed form,
    ``∂y_c/∂A = W_c / (h w)``, instead of a backward pass (the network
    exposes the flag as :attr:`~wsss_mm.models.CAMClassifier.linear_cam`).
    A subclass that overrides :meth:`forward` loses the flag unless it sets
    ``linear_cam = True`` itself; one that keeps ``forward`` keeps it (the
    KUR head: its ``cam_weights()`` is the kernel ``forward`` uses).

    Args:
        in_channels (int): K, channels of the feature map.
        num_classes (int): C, foreground classes.
        dropout (float): Dropout2d probability before pooling (0.5 in PSA's
            ResNet-38 classifier, 0 in IRN). Default: 0.
        bias (bool): a bias per class (the 1x1 conv of Group-WSSS's code).
            Default: False.
        loss (dict): the classification loss. Default: multi-label soft margin.
        init_cfg (dict): default xavier on the classifier, as PSA / IRN.
    """

    #: the logits are ``GAP(A) @ cam_weights().T`` in eval mode
    linear_cam = True

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if 'forward' in vars(cls) and 'linear_cam' not in vars(cls):
            cls.linear_cam = False  # another forward: linear only if it says so

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        dropout: float = 0.0,
        bias: bool = False,
        loss: dict = dict(type='MultiLabelSoftMarginLoss'),
        init_cfg: dict = dict(type='Xavier', layer='Conv2d'),
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.dropout = nn.Dropout2d(dropout) if dropout > 0 else nn.Identity()
        self.classifier = nn.Conv2d(in_channels, num_classes, 1, bias=bias)
        self.loss_module = MODELS.build(loss)

    def cam_weights(self) -> torch.Tensor:
        """The effective linear classifier.

        Returns:
            Tensor: (C, K).
        """
        return self.classifier.weight.flatten(1)

    def class_maps(self, feats: torch.Tensor) -> torch.Tensor:
        """The class maps whose average is the logits: ``A · W_c + b_c``.

        Args:
            feats (Tensor): (B, K, h, w) feature map.

        Returns:
            Tensor: (B, C, h, w).
        """
        maps = torch.einsum('bkhw,ck->bchw', feats, self.cam_weights())
        if self.classifier.bias is not None:
            maps = maps + self.classifier.bias.view(1, -1, 1, 1)
        return maps

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        """
        Args:
            feats (Tensor): (B, K, h, w) feature map.

        Returns:
            Tensor: (B, C) logits.
        """
        pooled = F.adaptive_avg_pool2d(self.dropout(feats), 1).flatten(1)
        logits = pooled @ self.cam_weights().t()
        if self.classifier.bias is not None:
            logits = logits + self.classifier.bias
        return logits

    def loss(self, logits: torch.Tensor, labels: torch.Tensor) -> dict:
        """
        Args:
            logits (Tensor): (B, C).
            labels (Tensor): (B, C) multi-hot.

        Returns:
            dict: ``{loss_name: scalar}``.
        """
        return {self.loss_module.loss_name: self.loss_module(logits, labels)}
