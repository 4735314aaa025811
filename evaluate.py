"""Evaluation report (real dev set, authored → real, seed LODO): ``python evaluate.py`` (``--help`` for options, ``--test FILE.jsonl``)."""

import sys

from tagger.apps.entry import main  # imports the command line inside it: a Ctrl-C while it starts exits 130

if __name__ == "__main__":
    main(["evaluate", *sys.argv[1:]])
