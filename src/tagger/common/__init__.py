"""Mechanisms every stage shares, one place each: decoding files (:mod:`.files`), atomic writes
(:mod:`.atomic`), where the default model lives (:mod:`.paths`) and worker processes
(:mod:`.parallel`)."""
