"""Building the PyMC graph: the spec (index arrays), the likelihoods per kind, the model."""
