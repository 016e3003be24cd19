"""label_propagator: spreads the labels of a few examples to the rest through a kNN graph (see README.md)."""
