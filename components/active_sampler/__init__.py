"""ActiveSampler: the ranked batch of examples a person should label next (a side branch)."""
