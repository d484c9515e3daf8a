"""Layers shared by CAM networks: PCM, PRCM, ConvGRU cell, graph dropout."""

from .conv_gru import ConvGRUCell
from .graph_dropout import GraphDropout
from .pcm import PCM
from .prcm import PRCM

__all__ = ['ConvGRUCell', 'GraphDropout', 'PCM', 'PRCM']
