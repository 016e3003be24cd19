"""datalife.transforms."""
