from .cam_visualization_hook import CAMVisualizationHook
from .finite_loss_hook import FiniteLossHook
from .group_cam_accumulation_hook import GroupCAMAccumulationHook
from .loss_weight_schedule_hook import LossWeightScheduleHook

__all__ = [
    'CAMVisualizationHook',
    'FiniteLossHook',
    'GroupCAMAccumulationHook',
    'LossWeightScheduleHook',
]
