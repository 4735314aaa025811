"""Missing values as pandas' nullable columns hold them (``pd.NA`` in ``string``, ``string[pyarrow]``, ``Int64``,
``boolean``, ``Float64`` columns — what ``tag_dask`` writes for kept columns, and what ``tag_frame`` keeps from
such a frame) are the group ``(missing)`` and a report without a date, as ``None``/NaN are: ``tagger stats`` and
``corpus_stats`` stopped with a bare ``TypeError: boolean value of NA is ambiguous`` (``--by company``), refused
``--by month`` with "date is <NA>, not a date", and counted such a date as unreadable."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from tagger.analysis.stats import MISSING, corpus_stats
from tagger.apps.cli import main
from tagger.common.cells import is_missing
from tagger.data.tagged import read_tagged
from tagger.labels import LABELS

from helpers import tagged_rows, write_tagged


def _has_pyarrow() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


# (dtype, the value of the rows with a company, the group it is counted as)
NULLABLE = [("string", "甲公司", "甲公司"), ("Int64", 7, "7"), ("boolean", True, "True"), ("Float64", 1.5, "1.5"),
            pytest.param("string[pyarrow]", "甲公司", "甲公司",
                         marks=pytest.mark.skipif(not _has_pyarrow(), reason="pyarrow is not installed"))]


def _nullable_file(tmp_path, dtype: str, value: object):
    """A tagged Parquet file of seven paragraphs (three reports): ``company`` of ``dtype`` with r2's two rows
    missing (``pd.NA``), ``date`` a nullable ``string`` column with r3's two rows missing."""
    plain = pd.read_parquet(write_tagged(tmp_path / "plain.parquet", tagged_rows(summary=False)))
    plain = plain.drop(columns=["reviewed_labels", "reviewed_by", "reviewed_at"])  # counted as pd.read_parquet reads it
    plain["company"] = pd.array([pd.NA if r == "r2" else value for r in plain["report"]], dtype=dtype)
    plain["date"] = pd.array([pd.NA if r == "r3" else d for r, d in zip(plain["report"], plain["date"])],
                             dtype="string")
    path = tmp_path / "tagged.parquet"
    plain.to_parquet(path)
    back = pd.read_parquet(path)
    assert str(back["company"].dtype) == str(pd.array([], dtype=dtype).dtype) and back["company"].isna().sum() == 2
    return path


@pytest.mark.parametrize(("dtype", "value", "group"), NULLABLE)
def test_a_missing_value_of_a_nullable_column_is_the_missing_group(tmp_path, dtype, value, group):
    path = _nullable_file(tmp_path, dtype, value)
    for frame in (pd.read_parquet(path), read_tagged(path)):
        s = corpus_stats(frame, by=["company"])
        assert s.tables["pivot"].set_index("company")["paragraphs"].to_dict() == {group: 5, MISSING: 2}
        s = corpus_stats(frame, by=["month"])
        assert s.tables["pivot"].set_index("month")["paragraphs"].to_dict() == {"2023-01": 5, MISSING: 2}
        assert s.missing_dates == 2 and s.unreadable_dates == 0


@pytest.mark.parametrize(("dtype", "value", "group"), NULLABLE)
def test_stats_counts_a_nullable_parquet_file(tmp_path, capsys, dtype, value, group):
    path = _nullable_file(tmp_path, dtype, value)
    out = tmp_path / "a.csv"
    assert main(["stats", str(path), "--by", "company", "-o", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    counted = {r["company"]: int(r["total_paragraphs"]) for r in rows if r["table"] == "groups"
               and r["label"] == LABELS[0]}
    assert counted == {group: 5, MISSING: 2}
    err = capsys.readouterr().err
    assert "Traceback" not in err and "ambiguous" not in err
    assert main(["stats", str(path), "--by", "month", "-o", str(out), "--force"]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    counted = {r["month"]: int(r["total_paragraphs"]) for r in rows if r["table"] == "groups"
               and r["label"] == LABELS[0]}
    assert counted == {"2023-01": 5, MISSING: 2}
    assert main(["stats", str(path), "-o", str(out), "--force"]) == 0
    err = capsys.readouterr().err
    assert "2 without a readable 'date' (0 unreadable)" in err and "<NA>" not in err


def test_is_missing_is_the_one_rule():
    import numpy as np

    for gap in (None, float("nan"), np.float64("nan"), pd.NA, pd.NaT, np.datetime64("NaT")):
        assert is_missing(gap)
    for value in ("", " ", "r1", 0, False, np.int64(0), [], (), {}, np.array([]), np.array([np.nan]), (None,)):
        assert not is_missing(value)
