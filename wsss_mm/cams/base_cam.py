"""The small base class every attribution method overrides one method of."""
from typing import Tuple

import torch
import torch.nn as nn

PROTOCOL = ('extract_feat', 'predict_logits', 'cam_weights')


def check_cam_network(model: nn.Module) -> None:
    """Raises ``TypeError`` naming what a model lacks of the CAM network protocol."""
    missing = [name for name in PROTOCOL if not callable(getattr(model, name, None))]
    if missing:
        raise TypeError(
            f'{type(model).__name__} does not implement the CAM network protocol: '
            f'missing {missing}. A CAM network provides extract_feat(inputs) -> '
            '(B, K, h, w), predict_logits(feats) -> (B, C) and cam_weights() -> (C, K).')


def check_labels(labels: torch.Tensor, batch_size: int, num_classes: int) -> None:
    """Raises ``ValueError`` when labels are not a (B, C) multi-hot tensor."""
    if labels.dim() != 2 or tuple(labels.shape) != (batch_size, num_classes):
        raise ValueError(f'labels must have shape (B, C) = ({batch_size}, '
                         f'{num_classes}), got {tuple(labels.shape)}')
    if ((labels != 0) & (labels != 1)).any():
        raise ValueError('labels must be multi-hot (0 or 1); got values '
                         f'{labels.unique().tolist()}')


def present_pairs(labels: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """The (image, class) pairs with label 1.

    Args:
        labels (Tensor): (B, C) multi-hot.

    Returns:
        tuple[Tensor, Tensor]: image indices (N,), class indices (N,).
    """
    return labels.nonzero(as_tuple=True)


class BaseCAMMethod:
    """Computes class activation maps for every present class of a batch at once.

    Call protocol (docs/design.md)::

        cams = method(model, inputs, labels)

    with ``inputs`` (B, 3, H, W) normalised images and ``labels`` (B, C)
    multi-hot; returns (B, C, h, w) >= 0 on the CAM network's feature grid,
    zero for absent classes, not normalised. The model's parameters never
    receive gradients and its ``requires_grad`` flags are left as they were.

    Subclasses override :meth:`get_cam_weights` ((B, C, K) channel weights)
    or, when the map is not a weighted sum of feature channels,
    :meth:`get_cam_image`.
    """

    #: whether :meth:`get_cam_image` differentiates through the head
    uses_gradients = False

    def __call__(self, model: nn.Module, inputs: torch.Tensor,
                 labels: torch.Tensor) -> torch.Tensor:
        check_cam_network(model)
        labels = labels.to(device=inputs.device, dtype=inputs.dtype)
        check_labels(labels, inputs.shape[0], model.cam_weights().shape[0])
        with torch.no_grad():  # gradient methods enable it for the head only
            feats = model.extract_feat(inputs)
            cams = self.get_cam_image(model, feats, labels)
        return cams.clamp(min=0) * labels[:, :, None, None]

    def get_cam_image(self, model: nn.Module, feats: torch.Tensor,
                      labels: torch.Tensor) -> torch.Tensor:
        """
        Args:
            model (nn.Module): the CAM network.
            feats (Tensor): (B, K, h, w) features (no graph attached).
            labels (Tensor): (B, C) multi-hot.

        Returns:
            Tensor: (B, C, h, w) maps before ReLU and label masking.
        """
        weights = self.get_cam_weights(model, feats, labels)
        return torch.einsum('bck,bkhw->bchw', weights, feats)

    def get_cam_weights(self, model: nn.Module, feats: torch.Tensor,
                        labels: torch.Tensor) -> torch.Tensor:
        """(B, C, K) channel weights of each class's map."""
        raise NotImplementedError(
            f'{type(self).__name__} must override get_cam_weights or get_cam_image')
