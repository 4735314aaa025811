"""Train the tagger on all labelled paragraphs: ``python train.py`` (``--help`` for options)."""

import sys

from tagger.apps.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))
