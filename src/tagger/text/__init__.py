"""Report → paragraphs → normalised text → words: :mod:`.report` splits a report into paragraphs,
:mod:`.normalize` gives the feature form of a text, :mod:`.segment` cuts it into words."""
