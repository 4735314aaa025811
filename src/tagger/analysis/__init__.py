"""Looking at a tagged corpus: reading it (:mod:`.tagged`), counting it (:mod:`.stats`) and the self-contained
HTML corpus report (:mod:`.report`)."""
