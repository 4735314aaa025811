"""Normalised text → feature rows: :mod:`.tfidf` (word and character n-gram TF-IDF over exact
vocabularies), :mod:`.lexicon` (codebook cue terms), :mod:`.cues` (how a paragraph frames what it
reports), all as :class:`.rows.Rows`, a small numpy CSR matrix."""
