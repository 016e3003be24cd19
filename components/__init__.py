"""datalife.components."""
