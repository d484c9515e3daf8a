"""Imports every registered module of wsss_mm and sets its default scope."""

import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Imports wsss_mm's (and mmseg's) modules so that they are registered.

    Args:
        init_default_scope (bool): also make ``wsss_mm`` the default scope.
    """
    import mmseg.utils

    mmseg.utils.register_all_modules(init_default_scope=False)
    import wsss_mm.cams  # noqa: F401
    import wsss_mm.datasets  # noqa: F401
    import wsss_mm.engine  # noqa: F401
    import wsss_mm.evaluation  # noqa: F401
    import wsss_mm.models  # noqa: F401

    if not init_default_scope:
        return
    if DefaultScope.get_current_instance() is None or not DefaultScope.check_instance_created(
        'wsss_mm'
    ):
        DefaultScope.get_instance('wsss_mm', scope_name='wsss_mm')
    elif DefaultScope.get_current_instance().scope_name != 'wsss_mm':
        warnings.warn(
            'The current default scope is not "wsss_mm"; '
            'register_all_modules switches it to "wsss_mm".'
        )
        name = f'wsss_mm-{datetime.datetime.now()}'
        DefaultScope.get_instance(name, scope_name='wsss_mm')
