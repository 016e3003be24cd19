"""datalife.labeling."""
