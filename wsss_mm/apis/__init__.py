from .config_utils import override_data_root, setup_cpu_distributed
from .eval_cams import eval_cams
from .eval_xai import eval_xai
from .infer_cams import build_cam_method, infer_cams, load_cam_network

__all__ = [
    'override_data_root', 'setup_cpu_distributed', 'eval_cams', 'eval_xai', 'infer_cams',
    'build_cam_method', 'load_cam_network'
]
