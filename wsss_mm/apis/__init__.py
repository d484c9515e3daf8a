from .config_utils import close_distributed, override_data_root, setup_cpu_distributed
from .eval_cams import eval_cams
from .eval_xai import eval_xai
from .infer_cams import infer_cams
from .inference import build_cam_method, inference_cams, init_model, load_cam_network
from .robustness import evaluate_robustness
from .saliency import eval_saliency, infer_saliency

__all__ = [
    'close_distributed',
    'override_data_root',
    'setup_cpu_distributed',
    'eval_cams',
    'eval_xai',
    'infer_cams',
    'build_cam_method',
    'inference_cams',
    'init_model',
    'load_cam_network',
    'infer_saliency',
    'eval_saliency',
    'evaluate_robustness',
]
