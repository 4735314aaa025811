"""Applications on top of the pipeline: the command line, the review server and the Dask/Spark helpers."""
