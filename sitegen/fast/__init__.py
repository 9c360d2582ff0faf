"""Fast paths and caches: quicker ways to the same bytes as the plain stages.

Each module here does one stage's work the fast way, falling back to the plain stage (in
inputs, model, pages) whenever it cannot; the orchestrator (sitegen.build) picks the fast way
when there is a cache folder and `SITEGEN_FASTPATH=0` is not set. Plain modules never import
this package.
"""

from ..system import fastpath_enabled


def enabled() -> bool:
    return fastpath_enabled()
