"""MinMax-CAM (David et al., VISAPP 2022; seed 002, Eq. 21)."""

import torch
import torch.nn as nn

from wsss_mm.registry import CAM_METHODS

from .contrast import ContrastCAMMethod


@CAM_METHODS.register_module()
class MinMaxCAM(ContrastCAMMethod):
    """``M_c = ReLU(Σ_k [w_k^c − (1/|N_x|) Σ_{n ∈ N_x} w_k^n] A^k)`` (Eq. 21).

    The classifier weights of the other present classes ``N_x`` are averaged
    and subtracted, so that regions that also explain those classes fade.
    With one present class it is CAM. The gradient form is
    :class:`MinMaxGradCAM`.

    Args:
        others (str): ``'labels'`` (default) or ``'detected'``, see
            :class:`ContrastCAMMethod`.
        detect_threshold (float): for ``'detected'``. Default: 0.5.
    """

    def get_cam_weights(
        self, model: nn.Module, inputs: torch.Tensor, feats: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        weights = model.cam_weights().to(feats.dtype)  # (C, K)
        sets = self.class_sets(model, feats, labels)
        return weights - torch.einsum('bcn,nk->bck', sets.others_mean(), weights)
