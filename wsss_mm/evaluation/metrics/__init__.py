from .multilabel_metric import MultiLabelMetric
from .seed_miou_metric import SeedMIoUMetric
from .xai_metric import MultiLabelXAIMetric

__all__ = ['MultiLabelMetric', 'MultiLabelXAIMetric', 'SeedMIoUMetric']
