from .multi_optim_wrapper_constructor import MultiOptimWrapperConstructor
from .new_layers_constructor import NewLayersOptimWrapperConstructor

__all__ = ['MultiOptimWrapperConstructor', 'NewLayersOptimWrapperConstructor']
