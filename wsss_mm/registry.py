"""wsss_mm's registries: children of MMSegmentation's, plus ``CAM_METHODS``.

A downstream package registers into these (``@MODELS.register_module()``) and
builds from configs with ``default_scope='wsss_mm'``; everything of mmseg and
mmengine stays reachable through the parents, mmpretrain's through its scope
(``type='mmpretrain.ResNet'``).
"""

from mmengine.registry import Registry
from mmseg.registry import DATA_SAMPLERS as MMSEG_DATA_SAMPLERS
from mmseg.registry import DATASETS as MMSEG_DATASETS
from mmseg.registry import EVALUATOR as MMSEG_EVALUATOR
from mmseg.registry import HOOKS as MMSEG_HOOKS
from mmseg.registry import LOOPS as MMSEG_LOOPS
from mmseg.registry import METRICS as MMSEG_METRICS
from mmseg.registry import MODEL_WRAPPERS as MMSEG_MODEL_WRAPPERS
from mmseg.registry import MODELS as MMSEG_MODELS
from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMSEG_OPTIM_WRAPPER_CONSTRUCTORS
from mmseg.registry import OPTIM_WRAPPERS as MMSEG_OPTIM_WRAPPERS
from mmseg.registry import OPTIMIZERS as MMSEG_OPTIMIZERS
from mmseg.registry import PARAM_SCHEDULERS as MMSEG_PARAM_SCHEDULERS
from mmseg.registry import TRANSFORMS as MMSEG_TRANSFORMS
from mmseg.registry import VISBACKENDS as MMSEG_VISBACKENDS
from mmseg.registry import VISUALIZERS as MMSEG_VISUALIZERS
from mmseg.registry import WEIGHT_INITIALIZERS as MMSEG_WEIGHT_INITIALIZERS

SCOPE = 'wsss_mm'


def _child(name: str, parent: Registry, location: str) -> Registry:
    return Registry(name, parent=parent, scope=SCOPE, locations=[location])


MODELS = _child('model', MMSEG_MODELS, 'wsss_mm.models')
MODEL_WRAPPERS = _child('model_wrapper', MMSEG_MODEL_WRAPPERS, 'wsss_mm.models')
WEIGHT_INITIALIZERS = _child('weight initializer', MMSEG_WEIGHT_INITIALIZERS, 'wsss_mm.models')
DATASETS = _child('dataset', MMSEG_DATASETS, 'wsss_mm.datasets')
DATA_SAMPLERS = _child('data sampler', MMSEG_DATA_SAMPLERS, 'wsss_mm.datasets')
TRANSFORMS = _child('transform', MMSEG_TRANSFORMS, 'wsss_mm.datasets')
HOOKS = _child('hook', MMSEG_HOOKS, 'wsss_mm.engine')
LOOPS = _child('loop', MMSEG_LOOPS, 'wsss_mm.engine')
OPTIMIZERS = _child('optimizer', MMSEG_OPTIMIZERS, 'wsss_mm.engine')
OPTIM_WRAPPERS = _child('optim_wrapper', MMSEG_OPTIM_WRAPPERS, 'wsss_mm.engine')
OPTIM_WRAPPER_CONSTRUCTORS = _child(
    'optimizer wrapper constructor', MMSEG_OPTIM_WRAPPER_CONSTRUCTORS, 'wsss_mm.engine'
)
PARAM_SCHEDULERS = _child('parameter scheduler', MMSEG_PARAM_SCHEDULERS, 'wsss_mm.engine')
METRICS = _child('metric', MMSEG_METRICS, 'wsss_mm.evaluation')
EVALUATOR = _child('evaluator', MMSEG_EVALUATOR, 'wsss_mm.evaluation')
VISUALIZERS = _child('visualizer', MMSEG_VISUALIZERS, 'wsss_mm.engine')
VISBACKENDS = _child('vis_backend', MMSEG_VISBACKENDS, 'wsss_mm.engine')

#: Attribution methods (CAM, Grad-CAM, ..., AdvCAM): a new root registry.
CAM_METHODS = Registry('cam method', scope=SCOPE, locations=['wsss_mm.cams'])
