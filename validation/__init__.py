"""Validation of ``estimator`` on settled historical tolls (the casebook in ``validation/casebook``)."""
