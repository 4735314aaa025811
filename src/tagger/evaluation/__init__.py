"""Measuring the model: cross-validation and held-out test sets (:mod:`.cv`), metrics and
report-level bootstrap intervals (:mod:`.metrics`), and the reports ``python evaluate.py`` writes
(:mod:`.report`, :mod:`.figures`, :mod:`.run`)."""
