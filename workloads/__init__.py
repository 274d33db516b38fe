"""Windmill workloads: generator, pipeline, engine, dispatcher and the local supervisor.

Nothing in this package imports `dashboard` or `infra`.
"""

__version__ = "0.1.0"
