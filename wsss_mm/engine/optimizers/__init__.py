from .new_layers_constructor import NewLayersOptimWrapperConstructor

__all__ = ['NewLayersOptimWrapperConstructor']
