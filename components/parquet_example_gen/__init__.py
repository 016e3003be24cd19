"""ParquetExampleGen executor that keeps zero values (see executor.py)."""
