"""Score-CAM (Wang et al., CVPR Workshops 2020; seed 002, Eq. 4)."""

import torch
import torch.nn as nn
from mmseg.models.utils import resize

from wsss_mm.registry import CAM_METHODS
from wsss_mm.utils.maps import max_normalize

from .base_cam import BaseCAMMethod

SCORES = ('sigmoid', 'logit')


@CAM_METHODS.register_module()
class ScoreCAM(BaseCAMMethod):
    """``M_c = ReLU(Σ_k f(x ∘ A^k / max A^k)_c A^k)`` (seed 002, Eq. 4).

    Each feature channel, upsampled to the input size and divided by its
    maximum, masks the (normalised) input; the model's score of the masked
    image for class ``c`` weighs that channel. One forward per (image,
    channel) is needed; they run as batches of ``batch_size`` masked images
    (rows of several images mix in one batch), and each forward scores every
    class at once. Images with no present class are skipped.

    Args:
        batch_size (int): masked images per forward pass. Default: 32.
        score (str): ``f``: ``'sigmoid'`` (class probabilities of the
            multi-label classifier, as the probabilities of the original
            Score-CAM; default) or ``'logit'``.
    """

    def __init__(self, batch_size: int = 32, score: str = 'sigmoid') -> None:
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        if score not in SCORES:
            raise ValueError(f'score must be one of {SCORES}, got "{score}"')
        self.batch_size = batch_size
        self.score = score

    def get_cam_weights(
        self, model: nn.Module, inputs: torch.Tensor, feats: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        """The scores of the channel-masked images.

        Args:
            model (nn.Module): the CAM network.
            inputs (Tensor): (B, 3, H, W) normalised images.
            feats (Tensor): (B, K, h, w) their features.
            labels (Tensor): (B, C) multi-hot.

        Returns:
            Tensor: (B, C, K) ``f(x_b ∘ A_b^k / max A_b^k)_c``; zero for images
            with no present class.
        """
        num_channels = feats.shape[1]
        images = labels.any(dim=1).nonzero().flatten()
        img_idx = images.repeat_interleave(num_channels)
        ch_idx = torch.arange(num_channels, device=feats.device).repeat(len(images))
        scores = []
        for start in range(0, len(img_idx), self.batch_size):
            b = img_idx[start : start + self.batch_size]
            k = ch_idx[start : start + self.batch_size]
            masks = resize(
                feats[b, k][:, None], size=inputs.shape[2:], mode='bilinear', align_corners=False
            )
            logits = model.predict_logits(
                model.extract_feat(inputs[b] * max_normalize(masks.clamp(min=0)))
            )
            scores.append(logits.sigmoid() if self.score == 'sigmoid' else logits)
        weights = feats.new_zeros(labels.shape[0], num_channels, labels.shape[1])
        if scores:
            weights[images] = torch.cat(scores).view(len(images), num_channels, -1)
        return weights.transpose(1, 2)
