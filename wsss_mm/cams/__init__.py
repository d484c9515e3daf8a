from .adv_cam import AdvCAM
from .base_cam import BaseCAMMethod, check_cam_network, multi_hot
from .cam import CAM
from .cam_file import PickledCAMFileError, cam_path, find_cam_file, load_cam_file, save_cam_file
from .d_minmax_cam import DMinMaxCAM
from .grad_cam import GradCAM
from .grad_cam_plus_plus import GradCAMPlusPlus
from .inference_model import CAMInferenceModel
from .minmax_cam import MinMaxCAM
from .minmax_grad_cam import MinMaxGradCAM
from .multiscale import multiscale_cams
from .score_cam import ScoreCAM

__all__ = [
    'BaseCAMMethod',
    'check_cam_network',
    'multi_hot',
    'CAM',
    'GradCAM',
    'GradCAMPlusPlus',
    'ScoreCAM',
    'MinMaxCAM',
    'DMinMaxCAM',
    'MinMaxGradCAM',
    'AdvCAM',
    'multiscale_cams',
    'load_cam_file',
    'save_cam_file',
    'cam_path',
    'find_cam_file',
    'PickledCAMFileError',
    'CAMInferenceModel',
]
