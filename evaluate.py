"""Evaluation report (real dev set, authored → real, seed LODO): ``python evaluate.py`` (``--help`` for options, ``--test FILE.jsonl``)."""

import sys

from tagger.apps.cli import main

if __name__ == "__main__":
    sys.exit(main(["evaluate", *sys.argv[1:]]))
