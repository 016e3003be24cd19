"""datalife.pipeline."""
