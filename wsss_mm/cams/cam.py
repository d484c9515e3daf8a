"""CAM (Zhou et al., "Learning Deep Features for Discriminative Localization", CVPR 2016)."""

import torch
import torch.nn as nn

from wsss_mm.registry import CAM_METHODS

from .base_cam import BaseCAMMethod


@CAM_METHODS.register_module()
class CAM(BaseCAMMethod):
    """``M_c = ReLU(Σ_k W_ck A_k)``: the classifier's weights as channel weights."""

    def get_cam_weights(
        self, model: nn.Module, inputs: torch.Tensor, feats: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        weights = model.cam_weights().to(feats.dtype)
        return weights.unsqueeze(0).expand(feats.shape[0], -1, -1)
