"""The small base class every attribution method overrides one method of."""

from typing import Sequence, Tuple

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
            '(B, K, h, w), predict_logits(feats) -> (B, C) and cam_weights() -> (C, K).'
        )


def check_labels(labels: torch.Tensor, batch_size: int, num_classes: int) -> None:
    """Raises ``ValueError`` when labels are not a (B, C) multi-hot tensor.

    A row of zeros (an image with no foreground class) is valid: its maps are
    all zero.
    """
    if labels.dim() != 2 or labels.shape[0] != batch_size:
        raise ValueError(
            f'labels must have shape (B, C) = ({batch_size}, '
            f'{num_classes}), got {tuple(labels.shape)}'
        )
    if labels.shape[1] != num_classes:
        raise ValueError(
            f'labels must have shape (B, C) = ({batch_size}, {num_classes}), got '
            f'{tuple(labels.shape)}: the labels have {labels.shape[1]} classes but '
            f'the model has C = {num_classes} (class ids 0..{num_classes - 1})'
        )
    if ((labels != 0) & (labels != 1)).any():
        raise ValueError(
            f'labels must be multi-hot (0 or 1); got values {labels.unique().tolist()}'
        )


def multi_hot(class_ids: Sequence[Sequence[int]], num_classes: int) -> torch.Tensor:
    """The (B, C) labels of per-image lists of class ids (0-based).

    Args:
        class_ids (Sequence[Sequence[int]]): for each image, its classes; an
            empty list is an image with no foreground class.
        num_classes (int): C.

    Returns:
        Tensor: (B, C) float multi-hot.

    Raises:
        ValueError: a class id outside ``0..C-1``.
    """
    labels = torch.zeros(len(class_ids), num_classes)
    for row, ids in enumerate(class_ids):
        bad = [int(i) for i in ids if not 0 <= int(i) < num_classes]
        if bad:
            raise ValueError(
                f'image {row}: class ids {bad} are outside the model\'s '
                f'classes 0..{num_classes - 1}'
            )
        labels[row, [int(i) for i in ids]] = 1
    return labels


def present_pairs(labels: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """The (image, class) pairs with label 1.

    Args:
        labels (Tensor): (B, C) multi-hot.

    Returns:
        tuple[Tensor, Tensor]: image indices (N,), class indices (N,).
    """
    return labels.nonzero(as_tuple=True)


def scatter_pairs(rows: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Places per-pair rows into a dense per-class tensor.

    Args:
        rows (Tensor): (N, ...) one row per pair of :func:`present_pairs`,
            in its order.
        labels (Tensor): (B, C) multi-hot.

    Returns:
        Tensor: (B, C, ...), zero for absent classes.
    """
    out = rows.new_zeros((*labels.shape, *rows.shape[1:]))
    out[present_pairs(labels)] = rows
    return out


class BaseCAMMethod:
    """Computes class activation maps for every present class of a batch at once.

    Call protocol (docs/design.md)::

        cams = method(model, inputs, labels)

    with ``inputs`` (B, 3, H, W) normalised images and ``labels`` (B, C)
    multi-hot; returns (B, C, h, w) >= 0 on the CAM network's feature grid,
    zero for absent classes, not normalised. The model's parameters never
    receive gradients and its ``requires_grad`` flags are left as they were.

    ``__call__`` checks the call (:meth:`check_inputs`), extracts the features
    of the inputs and runs :meth:`get_cam_image`, all without gradients, then
    applies ReLU and zeroes the absent classes. Subclasses override one hook:
    :meth:`get_cam_weights` ((B, C, K) channel weights) or, when the map is
    not a weighted sum of the features' channels, :meth:`get_cam_image`. Both
    get the inputs, so a method may run more forward passes (Score-CAM on
    masked images, AdvCAM on manipulated ones). A method that needs gradients
    enables them itself, for what it differentiates (``torch.enable_grad()``),
    and takes them with ``torch.autograd.grad``.
    """

    #: False for a method whose hook runs its own forward passes and does not
    #: read ``feats`` (AdvCAM): the hook then gets ``feats=None`` and no pass
    #: is spent on them.
    uses_features = True

    def __call__(
        self, model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        """
        Args:
            model (nn.Module): a CAM network.
            inputs (Tensor): (B, 3, H, W) normalised images.
            labels (Tensor): (B, C) multi-hot.

        Returns:
            Tensor: (B, C, h, w) >= 0, zero for absent classes.
        """
        labels = self.check_inputs(model, inputs, labels)
        with torch.no_grad():
            feats = model.extract_feat(inputs) if self.uses_features else None
            cams = self.get_cam_image(model, inputs, feats, labels)
        return cams.clamp(min=0) * labels[:, :, None, None]

    def check_inputs(
        self, model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        """Checks the model and labels of a call, before any forward pass.

        A subclass with more requirements extends it.

        Args:
            model (nn.Module): the CAM network.
            inputs (Tensor): (B, 3, H, W) normalised images.
            labels (Tensor): (B, C) multi-hot.

        Returns:
            Tensor: the labels as (B, C) floats on the inputs' device.

        Raises:
            TypeError: the model lacks the CAM network protocol.
            ValueError: the labels are not (B, C) multi-hot for the model's C.
        """
        check_cam_network(model)
        labels = labels.to(device=inputs.device, dtype=inputs.dtype)
        check_labels(labels, inputs.shape[0], model.cam_weights().shape[0])
        return labels

    def at_scale(self, scale: float) -> 'BaseCAMMethod':
        """The method to run on inputs resized by ``scale`` (multi-scale
        inference); the same method unless a subclass depends on the scale."""
        return self

    def get_cam_image(
        self, model: nn.Module, inputs: torch.Tensor, feats: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        """The maps of every class: by default ``Σ_k w_ck A_k`` with the weights
        of :meth:`get_cam_weights`.

        Args:
            model (nn.Module): the CAM network.
            inputs (Tensor): (B, 3, H, W) normalised images.
            feats (Tensor): (B, K, h, w) their features (no graph attached).
            labels (Tensor): (B, C) multi-hot.

        Returns:
            Tensor: (B, C, h, w) maps before ReLU and label masking.
        """
        weights = self.get_cam_weights(model, inputs, feats, labels)
        return torch.einsum('bck,bkhw->bchw', weights, feats)

    def get_cam_weights(
        self, model: nn.Module, inputs: torch.Tensor, feats: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        """The channel weights of each class's map.

        Args: as :meth:`get_cam_image`.

        Returns:
            Tensor: (B, C, K).
        """
        raise NotImplementedError(
            f'{type(self).__name__} must override get_cam_weights or get_cam_image'
        )
