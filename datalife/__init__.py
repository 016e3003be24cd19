"""datalife: the ML data lifecycle as a production TFX pipeline."""

__version__ = "0.1.0"
__all__ = ["__version__"]
