"""Features → scores → thresholds → tags: the :class:`~.tagger.Tagger` estimator (:mod:`.tagger`),
its linear models (:mod:`.linear`), decision thresholds (:mod:`.thresholds`), the codebook's
no-label rules (:mod:`.rules`) and model files (:mod:`.persistence`)."""
