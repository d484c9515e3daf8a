from .base_cam import BaseCAMMethod, check_cam_network
from .cam import CAM
from .cam_file import load_cam_file, save_cam_file
from .grad_cam import GradCAM
from .multiscale import max_normalize, multiscale_cams

__all__ = [
    'BaseCAMMethod', 'check_cam_network', 'CAM', 'GradCAM', 'multiscale_cams',
    'max_normalize', 'load_cam_file', 'save_cam_file'
]
