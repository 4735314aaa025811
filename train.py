"""Train the tagger on all labelled paragraphs: ``python train.py`` (``--help`` for options)."""

import sys

from tagger.apps.entry import main  # imports the command line inside it: a Ctrl-C while it starts exits 130

if __name__ == "__main__":
    main(["train", *sys.argv[1:]])
