from .cpcr_loss import CPCRLoss, ohem_mean
from .min_pooling_loss import AdaptiveMinPoolingLoss
from .multilabel_soft_margin_loss import MultiLabelSoftMarginLoss
from .tcp_loss import TCPLoss

__all__ = ['MultiLabelSoftMarginLoss', 'TCPLoss', 'CPCRLoss', 'AdaptiveMinPoolingLoss', 'ohem_mean']
