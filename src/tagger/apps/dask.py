"""Tagging on batch engines: Dask ``map_partitions`` and Spark ``mapInPandas`` over
:func:`tagger.pipeline.tag_frame`.

Both paths ship only the model's *path* and *sha256* (two short strings) with each task; every
worker process loads the model the first time it needs it and keeps it in a small module-level
cache keyed by ``(absolute path, sha256)``. So the model is loaded **once per worker process** —
not once per partition, and never pickled into the task graph.

Why a lazy module-level cache rather than ``client.run`` or a worker plugin:

* it works with every Dask scheduler (synchronous, threads, processes, ``distributed``) and with
  Spark's Python workers, with no ``Client`` handle to pass around;
* workers that join later, or restart after a crash, load the model on their first task by
  themselves (``client.run`` only reaches the workers alive when it is called);
* the key includes the file's sha256, computed once on the client when the graph is built: a worker
  loads exactly the model the client meant, and a model file replaced in the meantime fails loudly
  (:class:`~tagger.errors.ModelFileError`) instead of silently mixing two models in one result;
* the task payload stays a few hundred bytes whatever the model size.

Requirement: the model file (``.npz``) and its manifest must be readable at the same absolute path on
every worker (shared file system, or baked into the worker image). :func:`warm` preloads it on every
current worker of a ``distributed`` client if you want the load outside the first task.

Threads: partitions tagged by threads of one process take turns (a per-process lock; the model is
not documented as thread-safe, and tagging holds the interpreter lock most of the time anyway): use
one thread per worker process (``LocalCluster(processes=True, threads_per_worker=1)``,
``dask worker --nthreads 1``) and scale with processes.

Install: ``pip install 'tagger[dask]'`` (dask[dataframe,distributed]). Spark is not a dependency:
:func:`tag_pandas_batches` only needs pandas.

Example (Dask):
    >>> import dask.dataframe as dd  # doctest: +SKIP
    >>> ddf = dd.read_parquet("reports/*.parquet")  # columns id, text  # doctest: +SKIP
    >>> tagged = tag_dask(ddf, "models/tagger.npz", text_column="text", id_column="id")  # doctest: +SKIP
    >>> tagged.to_parquet("tagged/", custom_metadata=parquet_metadata(tagged))  # doctest: +SKIP

Example (Spark, ``pyspark`` installed separately):
    >>> from functools import partial  # doctest: +SKIP
    >>> fn = partial(tag_pandas_batches, model_path="/shared/models/tagger.npz",  # doctest: +SKIP
    ...              text_column="text", id_column="id")
    >>> tagged = sdf.mapInPandas(fn, schema=spark_schema())  # doctest: +SKIP
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..common.cells import report_id_of
from ..common.paths import model_file
from ..errors import InputError, ModelFileError, quote_cell
from ..labels import LABELS
from ..model.persistence import file_sha256, load_model
from ..pipeline import ROW_COLUMNS, tag_frame

if TYPE_CHECKING:
    import pandas as pd

    from ..model.tagger import Tagger

__all__ = ["TagPartition", "cache_info", "check_ids", "clear_cache", "get_model", "output_columns", "parquet_metadata",
           "spark_schema", "tag_dask", "tag_pandas_batches", "warm"]

_MAX_MODELS = 2  # models kept per process (e.g. old + new while a pipeline switches versions)
_MODELS: OrderedDict[tuple[str, str], object] = OrderedDict()
_LOAD_LOCK = threading.Lock()  # one load per (path, sha) per process, even with threaded workers
_TAG_LOCK = threading.Lock()  # one tagging call per process at a time
_STATS = {"loads": 0, "calls": 0}

PathLike = str | os.PathLike


def _resolve(model_path: PathLike | None) -> str:
    return str(model_file(model_path).resolve())


def _missing(path: str) -> ModelFileError:
    return ModelFileError(f"{path}: no model file on this machine (pid {os.getpid()}); train one with: python "
                          "train.py, and make it readable at the same path on every worker")


def get_model(model_path: PathLike | None = None, sha256: str | None = None) -> Tagger:
    """The model at ``model_path``, loaded at most once per process for a given file content.

    Args:
        model_path: model file (default: :func:`tagger.common.paths.default_model_path`); resolved
            to an absolute path.
        sha256: expected sha256 of the file (:func:`tagger.model.persistence.file_sha256`); computed
            here if omitted (costs one read of the file per call).

    Raises:
        ModelFileError: missing/changed/incompatible file, or a file whose content is not ``sha256``.
    """
    path = _resolve(model_path)
    if sha256 is None:
        if not os.path.exists(path):
            raise _missing(path)
        sha256 = file_sha256(path)
    key = (path, sha256)
    model = _MODELS.get(key)
    if model is not None:
        return model
    with _LOAD_LOCK:
        model = _MODELS.get(key)
        if model is None:
            if not os.path.exists(path):
                raise _missing(path)
            model = load_model(path)
            # load_model checked the file against its manifest's sha256; check that it is the file
            # the client built the job for.
            actual = (getattr(model, "manifest_", None) or {}).get("model_sha256") or file_sha256(path)
            if actual != sha256:
                raise ModelFileError(
                    f"{path}: the model file changed after the job was built (sha256 {actual[:12]}… "
                    f"on worker pid {os.getpid()}, expected {sha256[:12]}…); rebuild the job")
            _STATS["loads"] += 1
            _MODELS[key] = model
            while len(_MODELS) > _MAX_MODELS:
                _MODELS.popitem(last=False)
    return model


def cache_info() -> dict:
    """This process's model cache: ``{"pid", "loads", "calls", "models"}`` — ``loads`` counts actual
    model loads, ``calls`` partitions/batches tagged. ``client.run(cache_info)`` shows every worker's.

    Example:
        >>> sorted(cache_info())
        ['calls', 'loads', 'models', 'pid']
    """
    return {"pid": os.getpid(), "loads": _STATS["loads"], "calls": _STATS["calls"],
            "models": [{"path": p, "sha256": s} for p, s in _MODELS]}


def clear_cache() -> None:
    """Forget cached models and reset the counters (for tests)."""
    with _LOAD_LOCK:
        _MODELS.clear()
        _STATS["loads"] = _STATS["calls"] = 0


def output_columns(evidence: bool = False) -> list[str]:
    """Columns of :func:`tagger.pipeline.tag_frame` output, in order.

    Example:
        >>> output_columns()[:5]
        ['report', 'paragraph', 'kind', 'text', 'labels']
    """
    return list(ROW_COLUMNS) + (["evidence"] if evidence else [])


class TagPartition:
    """Picklable callable ``pandas.DataFrame -> pandas.DataFrame`` that tags one partition with the
    per-process cached model. Pickles to its arguments only (no model inside).

    Args:
        model_path: model file (made absolute here, on the client; default: the default model).
        sha256: the file's sha256 (computed here if omitted: pins the model version for the job).
        text_column, id_column, evidence, keep: passed to :func:`tagger.pipeline.tag_frame` (``keep``: the report
            columns copied onto its paragraphs' rows, e.g. company and date, to count by).

    Raises:
        ModelFileError: the model file is missing.
    """

    def __init__(self, model_path: PathLike | None = None, sha256: str | None = None, text_column: str = "text",
                 id_column: str | None = None, evidence: bool = False, keep: Sequence[str] = ()) -> None:
        if isinstance(keep, str):  # iterating it would keep the columns named by its letters
            raise TypeError(f"keep takes a list of column names, got a single str; pass keep=[{keep!r}]")
        self.model_path = _resolve(model_path)
        if sha256 is None:
            if not os.path.exists(self.model_path):
                raise _missing(self.model_path)
            sha256 = file_sha256(self.model_path)
        self.sha256 = sha256
        self.text_column, self.id_column, self.evidence, self.keep = text_column, id_column, evidence, tuple(keep)

    def __call__(self, df: pd.DataFrame, partition_info: dict | None = None, where: str | None = None) -> pd.DataFrame:
        """Tag one partition. ``partition_info`` (Dask passes it: ``{"number": …}``) or ``where`` (a batch's place)
        is named in a row's error, since each partition's row numbers restart: ``ddf.get_partition(n)`` finds it."""
        model = get_model(self.model_path, self.sha256)
        if where is None and partition_info is not None and partition_info.get("number") is not None:
            where = f"partition {partition_info['number']} (ddf.get_partition({partition_info['number']}))"
        with _TAG_LOCK:
            _STATS["calls"] += 1
            try:
                return tag_frame(model, df, self.text_column, self.id_column, evidence=self.evidence, keep=self.keep)
            except (ValueError, TypeError) as exc:
                if where is None or not str(exc).startswith(("row ", "report ")):
                    raise
                raise type(exc)(f"{where}: {exc}") from exc

    def __repr__(self) -> str:
        return (f"TagPartition({self.model_path!r}, sha256={self.sha256[:12]!r}…, "
                f"text_column={self.text_column!r}, id_column={self.id_column!r})")


def tag_dask(ddf: Any, model_path: PathLike | None = None, text_column: str = "text", id_column: str | None = None,
             evidence: bool = False, keep: Sequence[str] = ()) -> Any:
    """Tag a Dask DataFrame of reports: one output row per paragraph (lazy; call ``.compute()``,
    ``.to_parquet()`` …).

    Runs ``ddf.map_partitions(TagPartition(...))``: each partition goes through
    :func:`tagger.pipeline.tag_frame`; the model is loaded once per worker process (see the module doc).

    Args:
        ddf: ``dask.dataframe.DataFrame`` with one report (or paragraph) per row.
        model_path: model file, readable at the same absolute path on every worker (default: the
            default model, :func:`tagger.common.paths.default_model_path`, resolved on the client).
        text_column: column with the text.
        id_column: column with the report id. Pass one: the default (the frame index) is only a
            unique id if the index is unique across partitions, which ``read_parquet``/``read_csv``
            do not guarantee. Each report needs an id of its own: two reports given one id get the same
            paragraph ids (``r1:0`` twice), and a count by report or paragraph mixes them. Partitions are
            tagged apart and cannot see each other's ids, so an id shared by reports of two partitions is not
            caught here (one partition's repeats are: :func:`tagger.pipeline.tag_frame` warns); check the
            input first with :func:`check_ids` (one pass over the id column), or the result when it is counted
            (:func:`tagger.analysis.stats.corpus_stats` and ``tagger stats`` say so).
        evidence: add the ``evidence`` column (slower).
        keep: report columns copied onto each paragraph's row (after ``text``, as :func:`tagger.pipeline.tag_frame`
            puts them), e.g. ``["company", "date"]`` to count by.

    Returns:
        A Dask DataFrame with the columns of :func:`output_columns` and the ``keep`` columns (``labels`` holds
        Python lists),
        unknown divisions; each partition's index restarts at 0.

    Raises:
        TypeError: ``ddf`` is not a Dask DataFrame (a pandas one goes to :func:`tagger.pipeline.tag_frame`).
        KeyError: a named column is missing (raised now, not at compute time).
        ModelFileError: the model file is missing or invalid (checked now, on the client).

    ``meta`` comes from running the same function on the empty ``ddf._meta`` frame, so dtypes can
    never drift from ``tag_frame``; that loads the model once in the client process, which doubles
    as a fail-fast check of the file before any task is scheduled.
    """
    if not (hasattr(ddf, "map_partitions") and hasattr(ddf, "_meta")):
        hint = ("; for a pandas frame use tagger.tag_frame(tagger.load(path), df), or make it a Dask one: "
                "dask.dataframe.from_pandas(df, npartitions=8)") if hasattr(ddf, "iloc") else ""
        raise TypeError(f"tag_dask() expects a Dask DataFrame of reports, got {type(ddf).__name__}{hint}")
    fn = TagPartition(model_path, None, text_column, id_column, evidence, keep)
    for col in (text_column, id_column, *fn.keep):
        if col is not None and col not in ddf.columns:
            raise KeyError(f"column {col!r} not found; columns are {list(ddf.columns)}")
    model = get_model(fn.model_path, fn.sha256)
    with _TAG_LOCK:
        meta = tag_frame(model, ddf._meta, text_column, id_column, evidence=evidence, keep=fn.keep)
    return ddf.map_partitions(fn, meta=_typed_meta(meta), enforce_metadata=False)


def check_ids(ddf: Any, id_column: str, examples: int = 5) -> None:
    """Refuse a Dask (or pandas) frame of reports where one id is given to more than one report (row) — before
    :func:`tag_dask`, which tags partitions apart and so cannot see an id that reports of two partitions share;
    their paragraphs would get the same ids (``r1:0`` twice) and a count by report would merge them. Ids are read as
    :func:`tagger.pipeline.tag_frame` reads them (:func:`tagger.common.cells.report_id_of`: the text ``"1"`` and the
    number ``1`` are one id). One pass over the id column alone (``value_counts``: no shuffle, no tagging); a missing
    id, or a cell that is no id, is not counted here (:func:`tagger.pipeline.tag_frame` refuses it, naming its row).

    Args:
        ddf: the frame of reports, one per row.
        id_column: the column of report ids, as given to :func:`tag_dask`.
        examples: how many repeated ids the error names.

    Raises:
        KeyError: no such column.
        InputError: ids given to more than one row: how many, the first ``examples`` with their number of rows,
            and what to do.

    Example:
        >>> import pandas as pd
        >>> check_ids(pd.DataFrame({"id": ["r1", "r2"]}), "id")
        >>> check_ids(pd.DataFrame({"id": ["r1", "r2", "r1"]}), "id")
        Traceback (most recent call last):
        ...
        tagger.errors.InputError: column 'id': 1 id is given to more than one report: 'r1' (2 rows); their paragraph ids would repeat ('r1:0' twice) and a count by report would merge them: give each report its own id (find the rows with ddf[ddf['id'] == 'r1'].compute())
        >>> check_ids(pd.DataFrame({"id": pd.Series(["1", 1, 2], dtype=object)}), "id")
        Traceback (most recent call last):
        ...
        tagger.errors.InputError: column 'id': 1 id is given to more than one report: '1' (2 rows; the text 1 and the number 1 are one id); their paragraph ids would repeat ('1:0' twice) and a count by report would merge them: give each report its own id (find the rows with ddf[ddf['id'].astype(str) == '1'].compute())
    """
    if id_column not in ddf.columns:
        raise KeyError(f"column {id_column!r} not found; columns are {list(ddf.columns)}")
    cells = ddf[id_column]
    ids = (cells.map_partitions(_report_ids, meta=(id_column, "object")) if hasattr(cells, "map_partitions")
           else _report_ids(cells))
    counts = ids.value_counts()
    repeated = counts[counts > 1]
    if hasattr(repeated, "compute"):
        repeated = repeated.compute()
    if not len(repeated):
        return
    repeated = repeated.sort_values(ascending=False, kind="stable")
    first = repeated.index[0]
    written = cells[ids == first]  # the first repeated id's cells, as written (an error's second pass)
    kinds = {isinstance(cell, str) for cell in (written.compute() if hasattr(written, "compute") else written)}
    why = f"; the text {first} and the number {first} are one id" if len(kinds) > 1 else ""  # as tag_frame says
    shown = ", ".join(f"{quote_cell(rid)} ({n:,} rows{why if k == 0 else ''})"
                      for k, (rid, n) in enumerate(repeated.iloc[:examples].items()))
    more = f" … and {len(repeated) - examples:,} more" if len(repeated) > examples else ""
    if why:  # the rows written either way
        find = f"ddf[ddf[{id_column!r}].astype(str) == {first!r}]"
    else:  # a plain literal (an integer id's numpy scalar would print as np.int64(1))
        find = f"ddf[ddf[{id_column!r}] == {first if kinds == {False} else repr(first)}]"
    said = f"{len(repeated):,} id{' is' if len(repeated) == 1 else 's are'}"
    raise InputError(f"column {id_column!r}: {said} given to more than one report: {shown}{more}; their paragraph ids "
                     f"would repeat ({quote_cell(f'{first}:0')} twice) and a count by report would merge them: give each report its "
                     f"own id (find the rows with {find}.compute())")


def _report_ids(cells: pd.Series) -> pd.Series:
    """The report ids of a column of id cells (:func:`tagger.common.cells.report_id_of`; ``None``: not counted)."""
    return cells.map(report_id_of).astype("object")


def parquet_metadata(tagged: Any) -> dict[str, str]:
    """The Parquet key-value metadata that says which model tagged ``tagged`` (a :func:`tag_dask` result, or a
    :func:`tagger.pipeline.tag_frame` one): pass it to Dask's ``to_parquet(..., custom_metadata=...)``, and each
    part file records the model as ``tagger tag``'s Parquet output does (``tagger stats`` names it). Dask builds a
    file's schema from its ``meta``, without the ``attrs`` where :func:`~tagger.pipeline.tag_frame` keeps the
    record (pandas' own ``to_parquet`` keeps them: a pandas result needs no such step).

    Raises:
        ValueError: ``tagged`` holds no record (not a tagging result, or its ``attrs`` were dropped).

    Example:
        >>> tagged = tag_dask(ddf, "models/tagger.npz", text_column="text", id_column="id")  # doctest: +SKIP
        >>> tagged.to_parquet("tagged/", custom_metadata=parquet_metadata(tagged))  # doctest: +SKIP
    """
    import json

    from ..model.persistence import PARQUET_KEY

    frame = getattr(tagged, "_meta", tagged)  # a Dask frame's empty stand-in, tagged as its partitions are
    facts = getattr(frame, "attrs", {}).get(PARQUET_KEY)
    if not isinstance(facts, dict):
        raise ValueError(f"{type(tagged).__name__} holds no record of the model that tagged it (attrs[{PARQUET_KEY!r}]"
                         "); pass the result of tag_dask or tag_frame itself, before steps that drop its attrs")
    return {PARQUET_KEY: json.dumps(facts, ensure_ascii=False)}


def _typed_meta(meta: pd.DataFrame) -> pd.DataFrame:
    """``meta`` with the types its object columns hold spelled out.

    Dask infers a Parquet schema (``.to_parquet()``) from a non-empty stand-in of ``meta``, and an empty
    object column gives it only ``object()`` placeholders, which pyarrow cannot type: the README's
    ``tag_dask(...).to_parquet("tagged/")`` failed with ``ArrowInvalid``. The partitions themselves are
    unchanged (``compute()`` still gives str cells and Python lists, as :func:`tagger.pipeline.tag_frame`).
    """
    import pandas as pd
    import pyarrow as pa

    terms = pa.list_(pa.string())
    types = {"labels": pd.ArrowDtype(terms), "evidence": pd.ArrowDtype(pa.map_(pa.string(), terms))}
    meta = meta.copy()
    for col in meta.columns:
        if col in types:
            meta[col] = meta[col].astype(types[col])
        elif meta[col].dtype == object:  # report, paragraph, kind, text: str cells
            meta[col] = meta[col].astype(pd.StringDtype())
    return meta


def warm(client: Any, model_path: PathLike | None = None) -> dict:
    """Load the model now on every current worker of a ``dask.distributed`` client (optional: the
    first task on each worker would load it anyway). Returns ``{worker address: cache_info()}``."""
    path = _resolve(model_path)
    if not os.path.exists(path):
        raise _missing(path)
    return client.run(_warm_here, path, file_sha256(path))


def _warm_here(path: str, sha: str) -> dict:
    get_model(path, sha)
    return cache_info()


def tag_pandas_batches(batches: Iterable[pd.DataFrame], model_path: PathLike | None = None, text_column: str = "text",
                       id_column: str | None = None, evidence: bool = False,
                       sha256: str | None = None, keep: Sequence[str] = ()) -> Iterator[pd.DataFrame]:
    """Iterator of pandas frames in, iterator of tagged frames out: the ``mapInPandas`` contract.

    Spark calls the function once per partition in a Python worker process, with an iterator of
    Arrow record batches converted to pandas frames; Python workers are reused across tasks by
    default (``spark.python.worker.reuse=true``), so the per-process cache loads the model once per
    Python worker. Use with ``schema=spark_schema()``::

        from functools import partial
        fn = partial(tag_pandas_batches, model_path="/shared/models/tagger.npz",
                     text_column="text", id_column="id", sha256=file_sha256(path))
        sdf.mapInPandas(fn, schema=spark_schema()).write.parquet("tagged/")

    Pass ``sha256`` (computed once on the driver) to pin the model version for the whole job, as
    :func:`tag_dask` does; without it each call hashes the file once. Empty input batches yield
    empty frames with the right columns. The ``id_column`` advice of :func:`tag_dask` applies (Spark
    frames have no meaningful index). ``keep``: as for :func:`tag_dask` (give the kept columns' Spark types to
    :func:`spark_schema`).
    """
    fn = None
    for n, df in enumerate(batches):
        if fn is None:
            fn = TagPartition(model_path, sha256, text_column, id_column, evidence, keep)
        yield fn(df, where=f"batch {n} of this task's frames")


def spark_schema(evidence: bool = False, keep: Mapping[str, str] | None = None) -> str:
    """The Spark DDL schema of :func:`tag_pandas_batches` output (a string: no pyspark import).

    With ``evidence`` the column is ``map<string, array<string>>`` (label → terms); ``keep``: the kept columns
    and their Spark types, in the order given to ``tag_pandas_batches``.

    Example:
        >>> spark_schema().split(", ")[:2]
        ['report string', 'paragraph string']
        >>> spark_schema(keep={"company": "string", "date": "date"}).split(", ")[4:6]
        ['company string', 'date date']
    """
    kept = [f"{name} {kind}" for name, kind in (keep or {}).items()]
    cols = ["report string", "paragraph string", "kind string", "text string", *kept, "labels array<string>"]
    cols += [f"score_{lab} double" for lab in LABELS]
    if evidence:
        cols.append("evidence map<string,array<string>>")
    return ", ".join(cols)
