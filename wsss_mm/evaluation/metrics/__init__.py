from .multilabel_metric import MultiLabelMetric
from .xai_metric import MultiLabelXAIMetric

__all__ = ['MultiLabelMetric', 'MultiLabelXAIMetric']
