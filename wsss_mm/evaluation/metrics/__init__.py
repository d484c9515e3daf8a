from .multilabel_metric import MultiLabelMetric
from .seed_miou_metric import SeedMIoUMetric
from .subset_iou_metric import SubsetIoUMetric
from .xai_metric import MultiLabelXAIMetric

__all__ = ['MultiLabelMetric', 'MultiLabelXAIMetric', 'SeedMIoUMetric', 'SubsetIoUMetric']
