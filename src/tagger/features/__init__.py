"""Normalised text → feature rows: :mod:`.tfidf` (word and character n-gram TF-IDF over exact
vocabularies) and :mod:`.lexicon` (codebook cue terms), as :class:`.rows.Rows`, a small numpy CSR matrix;
:mod:`.encoder` (optional) a pretrained sentence encoder's vectors."""
