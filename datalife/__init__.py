"""datalife: the ML data lifecycle as a production TFX pipeline.

``datalife.read(run_folder_or_config, component=..., split=...)`` reads a run's Examples
as a pandas DataFrame (see :mod:`datalife.pipeline.read`); it is imported on first use,
so ``import datalife`` stays light."""

__version__ = "0.1.0"
__all__ = ["__version__", "read"]


def __getattr__(name):
    if name == "read":
        from datalife.pipeline.read import read

        return read
    raise AttributeError(f"module 'datalife' has no attribute {name!r}")
