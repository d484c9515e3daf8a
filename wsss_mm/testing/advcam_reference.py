"""An independent re-implementation of the AdvCAM authors' CAM generation, for
parity tests and benchmarks (``tools/analysis_tools/benchmark.py``); no part of
the library uses it.

It follows ``jbeomlee93/AdvCAM`` (``obtain_CAM_masking.py`` and ``gradCAM.py``)
step by step, with none of wsss_mm's CAM-method code: forward and backward hooks
on the target layer record its feature map and gradient; the class map is
``conv(features, W)`` with ``W`` the CAM network's classifier; Grad-CAM
backpropagates the global-sum-pooled ReLU'd class map and takes the channel
weights with ``gap2d_pos`` (the summed gradient divided by the number of positive
gradient entries of the whole 2-image batch); each present class climbs alone,
one scale at a time, as a batch of the image and its flip; the maps of steps
0..T-1 are summed (the scale 0.5 climbs T // 2 steps when T > 10).

The only departures are the network (any wsss_mm CAM network, through its
``extract_feat`` and ``cam_weights``) and the final resizing: each scale's sum
goes straight to the input size, where the authors resize to stride 4 and to
the stride-16 padded size before cropping.
"""

from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F


class HookedGradCAM:
    """The authors' ``GradCAM`` wrapper: hooks on ``target_layer`` of a CAM network."""

    def __init__(self, model: nn.Module, target_layer: str) -> None:
        self.model = model
        self.fmap = None
        self.grad = None
        layer = model.get_submodule(target_layer)
        self.handles = [
            layer.register_forward_hook(self._save_fmap),
            layer.register_full_backward_hook(self._save_grad),
        ]

    def _save_fmap(self, module, inputs, output):
        self.fmap = output[-1] if isinstance(output, (tuple, list)) else output

    def _save_grad(self, module, grad_in, grad_out):
        self.grad = grad_out[-1] if len(grad_out) > 1 else grad_out[0]

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """(2, 3, H, W) -> (2, C, h, w) class maps ``conv(A, W)`` (the authors'
        ``CAM(separate=True)``); keeps the global-sum-pooled ReLU'd maps."""
        feats = self.model.extract_feat(image)
        weight = self.model.cam_weights()
        class_maps = F.conv2d(feats, weight[:, :, None, None])
        self.logits_vec = F.relu(class_maps).sum(dim=(2, 3))
        return class_maps

    def backward(self, cls: int) -> None:
        self.model.zero_grad()
        self.logits_vec[:, cls].sum().backward(retain_graph=True)

    def generate(self) -> torch.Tensor:
        """(2, 1, h, w) ``ReLU(Σ_k gap2d_pos(grad)_k A_k)``."""
        weights = self.grad.sum(dim=(2, 3), keepdim=True) / (torch.sum(self.grad > 0) + 1e-12)
        return F.relu((self.fmap * weights).sum(dim=1, keepdim=True))

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()


def adv_climb(image: torch.Tensor, step_size: float, grad: torch.Tensor) -> torch.Tensor:
    """The authors' step: max-normalised gradient, clamped to the batch's range."""
    step = image + step_size * grad / (torch.max(torch.abs(grad)) + 1e-12)
    return torch.clamp(step, image.min().item(), image.max().item())


def reference_advcam(
    model: nn.Module,
    image: torch.Tensor,
    label: torch.Tensor,
    target_layer: str,
    scales: Sequence[float] = (1.0, 0.5, 1.5, 2.0),
    adv_iter: int = 27,
    ad_coeff: float = 7.0,
    ad_stepsize: float = 0.08,
    score_th: float = 0.5,
) -> torch.Tensor:
    """AdvCAM of one image, as ``obtain_CAM_masking.py`` computes it.

    Args:
        model (nn.Module): a wsss_mm CAM network in eval mode.
        image (Tensor): (1, 3, H, W) normalised image.
        label (Tensor): (C,) multi-hot.
        target_layer (str): the module whose output is the CAM feature map,
            e.g. ``'backbone.layer4'``.
        scales: input scales; 0.5 climbs fewer steps, as the authors' code.

    Returns:
        Tensor: (C, H, W) the maps summed over scales, max-normalised per class,
        zero for absent classes.
    """
    gcam = HookedGradCAM(model, target_layer)
    height, width = image.shape[2:]
    total = image.new_zeros((label.numel(), height, width))
    try:
        for scale in scales:
            scaled = (
                image
                if scale == 1
                else F.interpolate(
                    image,
                    scale_factor=scale,
                    mode='bilinear',
                    align_corners=False,
                    recompute_scale_factor=False,
                )
            )
            pair = torch.cat([scaled, scaled.flip(-1)])
            total_iter = adv_iter
            if scale == 0.5:
                total_iter = adv_iter // 2 if adv_iter > 10 else (adv_iter if adv_iter < 6 else 5)
            for cls in torch.nonzero(label)[:, 0].tolist():
                img_single = pair.detach()
                cam_sum = 0
                for it in range(total_iter):
                    img_single.requires_grad = True
                    outputs = gcam.forward(img_single)
                    gcam.backward(cls)
                    regions = gcam.generate()
                    regions = regions[0] + regions[1].flip(-1)
                    if it == 0:
                        init_cam = regions.detach()
                    cam_sum = cam_sum + regions[0].detach()
                    logit = F.relu(outputs).mean(dim=(2, 3))
                    logit_loss = -2 * logit[:, cls].sum() + torch.sum(logit)
                    expanded_mask = (regions / regions.max() > score_th).to(regions.dtype)
                    l_ad = torch.sum(torch.abs(regions - init_cam) * expanded_mask.detach())
                    loss = -logit_loss - l_ad * ad_coeff
                    model.zero_grad()
                    img_single.grad.zero_()
                    loss.backward()
                    img_single = adv_climb(img_single, ad_stepsize, img_single.grad).detach()
                total[cls] += F.interpolate(
                    cam_sum[None, None], size=(height, width), mode='bilinear', align_corners=False
                )[0, 0]
    finally:
        gcam.remove()
        model.zero_grad(set_to_none=True)
    return total / (total.flatten(1).amax(dim=1)[:, None, None] + 1e-5)
