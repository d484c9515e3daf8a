from .multilabel_metric import MultiLabelMetric

__all__ = ['MultiLabelMetric']
