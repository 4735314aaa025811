"""``python -m tagger`` runs the CLI (:mod:`tagger.apps.entry`: a Ctrl-C while it starts exits 130 quietly)."""

from .apps.entry import main

main()
