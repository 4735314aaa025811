"""Batch engines: Dask (distributed, real worker processes) and the Spark ``mapInPandas`` contract.

Needs the ``dask`` extra (``pip install -e '.[dask]'``, also part of ``.[test]``); the Dask tests
skip cleanly without it.
"""

import pickle
from pathlib import Path

import pytest

from tagger.apps import dask as tagger_dask
from tagger.errors import ModelFileError
from tagger.labels import LABELS
from tagger.pipeline import tag_frame

pd = pytest.importorskip("pandas")

SEEDS = sorted((Path(__file__).resolve().parents[1] / "seeds").glob("*.txt"))


@pytest.fixture(scope="module")
def model_file(cli_model):
    """A saved model (``.npz`` + manifest) trained on the seed paragraphs (conftest)."""
    return Path(cli_model)


@pytest.fixture(scope="module")
def reports():
    assert len(SEEDS) == 5
    return pd.DataFrame({"id": [p.stem for p in SEEDS],
                         "text": [p.read_text(encoding="utf-8") for p in SEEDS]})


def _want(model_file, reports, **kw):
    return tag_frame(tagger_dask.get_model(model_file), reports, "text", "id", **kw)


def _sorted(df):
    return df.sort_values("paragraph", kind="stable").reset_index(drop=True)


def test_dask_distributed_matches_single_process_and_loads_once_per_worker(model_file, reports, tmp_path):
    pytest.importorskip("dask.distributed")
    pytest.importorskip("pyarrow")
    import dask.dataframe as dd
    from dask.distributed import Client, LocalCluster

    src = tmp_path / "reports"
    src.mkdir()
    for i in range(0, len(reports), 2):  # three files -> three partitions
        reports.iloc[i:i + 2].to_parquet(src / f"part-{i:02d}.parquet", index=False)
    ddf = dd.read_parquet(str(src))
    assert ddf.npartitions >= 2

    out = tagger_dask.tag_dask(ddf, model_file, text_column="text", id_column="id")
    assert list(out.columns) == tagger_dask.output_columns()
    # The task carries the model's path and sha256, never the model itself.
    assert len(pickle.dumps(tagger_dask.TagPartition(model_file))) < 2000

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        got = out.compute()
        info = client.run(tagger_dask.cache_info)
        again = out.compute()  # a second job on the same workers reuses their models
        info_again = client.run(tagger_dask.cache_info)

    want = _want(model_file, reports)
    assert len(got) == len(want) > 50
    got, want, again = _sorted(got), _sorted(want), _sorted(again)
    assert got["paragraph"].tolist() == want["paragraph"].tolist()
    assert got["labels"].tolist() == want["labels"].tolist()
    for col in [f"score_{lab}" for lab in LABELS]:
        assert got[col].tolist() == want[col].tolist()  # exact
    pd.testing.assert_frame_equal(got, want)
    pd.testing.assert_frame_equal(again, want)

    loads = [w["loads"] for w in info.values()]
    calls = [w["calls"] for w in info.values()]
    assert len(info) == 2
    assert all(n <= 1 for n in loads) and sum(loads) >= 1
    assert sum(calls) == ddf.npartitions > sum(loads)
    assert all(w["loads"] <= 1 for w in info_again.values())
    assert sum(w["calls"] for w in info_again.values()) == 2 * ddf.npartitions


def test_tag_dask_checks_columns_and_model_up_front(model_file, reports, tmp_path):
    dd = pytest.importorskip("dask.dataframe")
    ddf = dd.from_pandas(reports, npartitions=2)
    with pytest.raises(KeyError, match="body"):
        tagger_dask.tag_dask(ddf, model_file, text_column="body")
    with pytest.raises(ModelFileError, match="no model file"):
        tagger_dask.tag_dask(ddf, tmp_path / "missing.npz", id_column="id")
    # Synchronous scheduler: the same code path without a cluster; evidence too.
    got = tagger_dask.tag_dask(ddf, model_file, id_column="id", evidence=True).compute(scheduler="sync")
    pd.testing.assert_frame_equal(_sorted(got), _sorted(_want(model_file, reports, evidence=True)))
    assert list(got.columns) == tagger_dask.output_columns(evidence=True)


def test_report_columns_are_kept_on_a_cluster_as_tag_frame_keeps_them(model_file, reports):
    """tag_dask had no keep=: cluster output could not be counted by company or month without a join (review)."""
    dd = pytest.importorskip("dask.dataframe")
    framed = reports.assign(company=["甲", "乙", "甲", "丙", "乙"], year=[2021, 2022, 2022, 2023, 2021])
    want = _want(model_file, framed, keep=["company", "year"])
    got = tagger_dask.tag_dask(dd.from_pandas(framed, npartitions=2), model_file, id_column="id",
                               keep=["company", "year"]).compute(scheduler="sync")
    # dask reads text columns as its own string dtype: the values, not the dtypes, are what tag_frame's are
    pd.testing.assert_frame_equal(_sorted(got), _sorted(want), check_dtype=False)
    assert list(got.columns[4:6]) == ["company", "year"]
    batches = list(tagger_dask.tag_pandas_batches(iter([framed.iloc[:2], framed.iloc[2:]]), model_file, "text", "id",
                                                  keep=["company", "year"]))
    pd.testing.assert_frame_equal(pd.concat(batches, ignore_index=True), want)
    assert tagger_dask.spark_schema(keep={"company": "string", "year": "int"}).split(", ")[3:6] == [
        "text string", "company string", "year int"]
    with pytest.raises(KeyError, match="'region' not found"):
        tagger_dask.tag_dask(dd.from_pandas(framed, npartitions=2), model_file, id_column="id", keep=["region"])
    with pytest.raises(TypeError, match=r"pass keep=\['company'\]"):
        tagger_dask.tag_dask(dd.from_pandas(framed, npartitions=2), model_file, id_column="id", keep="company")


def test_tag_dask_refuses_a_pandas_frame_with_what_to_use(model_file, reports):
    """Review B: a pandas frame gave AttributeError: 'DataFrame' object has no attribute '_meta'."""
    with pytest.raises(TypeError, match=r"expects a Dask DataFrame of reports, got DataFrame; .*tag_frame"):
        tagger_dask.tag_dask(reports, model_file, id_column="id")


def test_default_model_is_the_shared_rule(model_file, reports, monkeypatch):
    monkeypatch.setenv("TAGGER_MODEL", str(model_file))
    fn = tagger_dask.TagPartition(id_column="id")
    assert fn.model_path == str(model_file.resolve())
    pd.testing.assert_frame_equal(fn(reports), _want(model_file, reports))


def test_pandas_batches_iterator_contract_and_cache(model_file, reports):
    tagger_dask.clear_cache()
    batches = [reports.iloc[:2], reports.iloc[2:2], reports.iloc[2:]]
    outs = list(tagger_dask.tag_pandas_batches(iter(batches), model_file, "text", "id"))
    assert len(outs) == 3
    assert list(outs[1].columns) == tagger_dask.output_columns() and outs[1].empty
    pd.testing.assert_frame_equal(pd.concat(outs, ignore_index=True), _want(model_file, reports))
    info = tagger_dask.cache_info()
    assert info["loads"] == 1 and info["calls"] == 3
    assert info["models"] == [{"path": str(model_file.resolve()), "sha256": info["models"][0]["sha256"]}]
    assert list(tagger_dask.tag_pandas_batches(iter([]), model_file)) == []


def test_warm_loads_the_model_once_on_every_worker_and_refuses_a_missing_file(model_file, tmp_path):
    """warm() runs the load on each worker through ``client.run`` (a stand-in here, running it in this process as
    ``client.run`` runs it on a worker): the model is loaded once, a second warm loads nothing; a missing model
    file is refused on the client, before any worker is asked."""
    class Client:
        def __init__(self):
            self.calls = 0

        def run(self, func, *args):
            self.calls += 1
            return {"tcp://worker-1": func(*args)}

    tagger_dask.clear_cache()
    client = Client()
    info = tagger_dask.warm(client, model_file)["tcp://worker-1"]
    assert info["loads"] == 1 and info["calls"] == 0
    assert info["models"][0]["path"] == str(model_file.resolve())
    assert tagger_dask.warm(client, model_file)["tcp://worker-1"]["loads"] == 1 and client.calls == 2
    with pytest.raises(ModelFileError, match=r"missing\.npz: no model file on this machine .*train\.py"):
        tagger_dask.warm(client, tmp_path / "missing.npz")
    assert client.calls == 2


def test_spark_schema_names_the_output_columns():
    for evidence in (False, True):
        names = [part.split()[0] for part in tagger_dask.spark_schema(evidence).split(", ")]
        assert names == tagger_dask.output_columns(evidence)
    assert "labels array<string>" in tagger_dask.spark_schema()


def test_changed_model_file_is_refused(model_file, reports):
    tagger_dask.clear_cache()
    fn = tagger_dask.TagPartition(model_file, sha256="0" * 64, id_column="id")
    with pytest.raises(ModelFileError, match="changed after the job was built"):
        fn(reports)
    assert tagger_dask.cache_info()["loads"] == 0


def test_tag_dask_writes_parquet_as_the_readme_shows(model_file, reports, tmp_path):
    """Review D: ``tag_dask(...).to_parquet("tagged/")`` (README, Large corpora) failed with pyarrow's
    ArrowInvalid: the meta's empty object columns gave Dask nothing to infer a Parquet type from."""
    dd = pytest.importorskip("dask.dataframe")
    pytest.importorskip("pyarrow")
    src = tmp_path / "stories"
    src.mkdir()
    reports.to_parquet(src / "part.0.parquet", index=False)
    for evidence in (False, True):
        out = tmp_path / f"tagged-{evidence}"
        tagger_dask.tag_dask(dd.read_parquet(str(src)), model_file, text_column="text", id_column="id",
                             evidence=evidence).to_parquet(str(out))
        got = _sorted(pd.read_parquet(out))
        want = _sorted(_want(model_file, reports, evidence=evidence))
        assert list(got.columns) == tagger_dask.output_columns(evidence)
        assert got["paragraph"].tolist() == want["paragraph"].tolist()
        assert [list(x) for x in got["labels"]] == want["labels"].tolist()
        for col in [f"score_{lab}" for lab in LABELS]:
            assert got[col].tolist() == want[col].tolist()
        if evidence:
            assert [{k: list(v) for k, v in cell} for cell in got["evidence"]] == want["evidence"].tolist()
    # compute() still gives what tag_frame gives (str cells, Python lists)
    got = tagger_dask.tag_dask(dd.read_parquet(str(src)), model_file, id_column="id").compute(scheduler="sync")
    pd.testing.assert_frame_equal(_sorted(got), _sorted(_want(model_file, reports)))


def test_a_bad_row_names_its_partition_or_batch(model_file, reports):
    """Review (API): a bad cell's error said "row 0" of a partition (read_csv/read_parquet partitions each number
    their rows from 0) and not which partition."""
    dd = pytest.importorskip("dask.dataframe")
    bad = reports.assign(id=[*reports["id"][:4], None])  # the last report has no id
    ddf = dd.from_pandas(bad, npartitions=2)
    last = ddf.npartitions - 1
    with pytest.raises(ValueError, match=rf"^partition {last} \(ddf.get_partition\({last}\)\): row 4: no 'id' value"):
        tagger_dask.tag_dask(ddf, model_file, id_column="id").compute(scheduler="sync")
    with pytest.raises(ValueError, match=r"^batch 1 of this task's frames: row 4: no 'id' value"):
        list(tagger_dask.tag_pandas_batches(iter([bad.iloc[:2], bad.iloc[2:]]), model_file, "text", "id"))
    with pytest.raises(ValueError, match=r"^row 4: no 'id' value"):  # tag_frame itself: no partition to name
        tag_frame(tagger_dask.get_model(model_file), bad, "text", "id")


def test_an_id_two_partitions_give_their_reports_is_refused_by_check_ids_and_named_by_stats(model_file, reports):
    """Review: one report id in two partitions (``{"id": ["r1", "r2", "r1"]}``, ``npartitions=2``) — tag_frame warns of
    such an id in one frame, tag_dask wrote two ``r1:0`` paragraphs without a word, and corpus_stats's warning named
    them "at rows 0 and 0" (each partition's index restarts). check_ids refuses the input, naming the id; the stats
    warning names the rows by position."""
    dd = pytest.importorskip("dask.dataframe")
    from tagger.analysis.stats import corpus_stats
    from tagger.errors import InputError

    shared = reports.iloc[:3].assign(id=["r1", "r2", "r1"])
    ddf = dd.from_pandas(shared, npartitions=2)
    assert ddf.npartitions == 2 and ddf.get_partition(1)["id"].compute().tolist() == ["r1"]
    with pytest.raises(InputError, match=r"^column .id.: 1 id is given to more than one report: 'r1' \(2 rows\); their "
                                         r"paragraph ids would repeat \('r1:0' twice\).*give each report its own id"):
        tagger_dask.check_ids(ddf, "id")
    tagger_dask.check_ids(dd.from_pandas(reports, npartitions=2), "id")  # one id per report: nothing to say
    with pytest.raises(KeyError, match="column 'report_id' not found"):
        tagger_dask.check_ids(ddf, "report_id")
    tagged = tagger_dask.tag_dask(ddf, model_file, id_column="id").compute(scheduler="sync")
    second = int((tagged["paragraph"] == "r1:0").to_numpy().nonzero()[0][1])
    with pytest.warns(UserWarning, match=rf"'r1:0' at df\.iloc\[\[0, {second}\]\], the frame's index repeating\): "
                                         r"several reports were given one id.*tagger\.apps\.dask\.check_ids"):
        corpus_stats(tagged)


@pytest.mark.parametrize("npartitions", [None, 2])
def test_check_ids_reads_ids_as_tag_frame_does(model_file, npartitions):
    """Review: check_ids counted the text "1" and the number 1 as two ids, so ``{"id": ["1", 1, 2]}`` passed while
    tag_frame warned "the text 1 and the number 1 are one id"; and for integer ids its advice printed
    ``ddf[ddf['id'] == np.int64(1)]``. Ids are now read by the one rule tag_frame reads them by (report_id_of), and the
    advice is a literal one can paste (the rows written either way found by their text)."""
    from tagger.errors import InputError

    def frame(ids):
        df = pd.DataFrame({"id": ids, "text": ["党员为孤寡老人检查线路。"] * len(ids)})
        if npartitions is None:
            return df
        return pytest.importorskip("dask.dataframe").from_pandas(df, npartitions=npartitions)

    mixed = pd.Series(["1", 1, 2], dtype=object)  # (Dask's from_pandas makes such a column text: pandas alone)
    with pytest.warns(UserWarning, match="the text 1 and the number 1 are one id"):
        tag_frame(tagger_dask.get_model(model_file), pd.DataFrame({"id": mixed, "text": ["党员为孤寡老人检查线路。"] * 3}),
                  "text", "id")
    with pytest.raises(InputError, match=r"^column 'id': 1 id is given to more than one report: '1' \(2 rows; the text 1 "
                                         r"and the number 1 are one id\).*find the rows with "
                                         r"ddf\[ddf\['id'\]\.astype\(str\) == '1'\]\.compute\(\)\)$"):
        tagger_dask.check_ids(pd.DataFrame({"id": mixed}), "id")
    with pytest.raises(InputError, match=r"find the rows with ddf\[ddf\['id'\] == 1\]\.compute\(\)\)$"):
        tagger_dask.check_ids(frame(pd.Series([1, 2, 1], dtype="int64")), "id")
    with pytest.raises(InputError, match=r"find the rows with ddf\[ddf\['id'\] == '1'\]\.compute\(\)\)$"):
        tagger_dask.check_ids(frame(["1", "2", "1"]), "id")
    tagger_dask.check_ids(frame(pd.Series(["1", 2, None], dtype=object)), "id")  # a missing id: tag_frame names it
