"""Growing the labelled set: suggest what to label, import filled-in labels, audit labels."""
