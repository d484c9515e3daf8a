"""wsss_mm: weakly supervised semantic segmentation on MMEngine / MMSegmentation."""

from . import compat  # noqa: F401  (must run before torchvision / mmseg imports)
from .utils.setup_env import register_all_modules  # noqa: E402
from .version import __version__  # noqa: E402

__all__ = ['register_all_modules', '__version__']
