from .c2am_hint_loss import C2AMHintLoss
from .c2am_loss import SimMaxLoss, SimMinLoss
from .cpcr_loss import CPCRLoss, ohem_mean
from .min_pooling_loss import AdaptiveMinPoolingLoss
from .multilabel_soft_margin_loss import MultiLabelSoftMarginLoss
from .tcp_loss import TCPLoss

__all__ = [
    'MultiLabelSoftMarginLoss',
    'TCPLoss',
    'CPCRLoss',
    'AdaptiveMinPoolingLoss',
    'ohem_mean',
    'SimMaxLoss',
    'SimMinLoss',
    'C2AMHintLoss',
]
