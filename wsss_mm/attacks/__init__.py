"""Adversarial attacks for the robustness evaluation of segmentors (SegMix, seed
000, Table 5; docs/robustness.md): white-box FGSM / PGD on the segmentation loss,
UAP crafted on a surrogate network, GD-UAP on its encoder, either kept by its
fooling rate on held-out images. All work in RGB pixel
units (0-255) before the model's normalisation (:class:`ImageSpace`)."""

from .fgsm import fgsm
from .fooling_rate import FoolingRateSelector, predictions
from .gd_uap import DATA_MODES, activation_loss, craft_gd_uap
from .image_space import ImageSpace, clamp_pixels, project
from .objectives import classifier_loss, segmentation_loss
from .pgd import pgd
from .uap import craft_uap
from .universal import (
    FITS,
    apply_perturbation,
    fit_perturbation,
    load_perturbation,
    save_perturbation,
)

__all__ = [
    'DATA_MODES',
    'FITS',
    'FoolingRateSelector',
    'ImageSpace',
    'activation_loss',
    'apply_perturbation',
    'clamp_pixels',
    'classifier_loss',
    'craft_gd_uap',
    'craft_uap',
    'fgsm',
    'fit_perturbation',
    'load_perturbation',
    'pgd',
    'predictions',
    'project',
    'save_perturbation',
    'segmentation_loss',
]
