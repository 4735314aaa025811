"""``python -m tagger`` runs the CLI."""

from .apps.cli import main_entry

main_entry()
