"""Example labeling-function modules."""
