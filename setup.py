"""Build of the optional compiled kernels (everything else is in pyproject.toml).

``optional=True``: without a working C compiler the package still installs and the numpy code runs
(``tagger.native.status()`` says which). No floating-point contraction or fast-math: the kernels must
give the numpy code's floats bit for bit.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("tagger._speedups", ["src/tagger/_speedups.c"], optional=True,
                             extra_compile_args=["-O3", "-ffp-contract=off", "-fno-fast-math"])])
