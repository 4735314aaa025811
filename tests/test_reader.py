import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagger.errors import InputError
from tagger.reader import chrome_reason, read_report, read_text_file, split_report

# Kept paragraphs (body + headings + captions) per seed report, counted by hand.
EXPECTED = {
    "000_6bc5a408cdc75e0e": (27, 4, 0),
    "001_dc6bd422dcff6f05": (19, 3, 0),
    "002_e2866e68cd292b62": (21, 3, 0),
    "003_86615e91b483547b": (21, 4, 0),
    "004_0d1b6c3aac7013de": (21, 5, 1),
}
CHROME_WORDS = ("评论", "評論", "用户名", "验证码", "匿名发表", "推荐阅读", "相关阅读", "无相关信息",
                "当前位置", "发布时间", "来源:", "浏览")


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_seed_paragraph_counts(root, stem):
    paras = read_report(root / "seeds" / f"{stem}.txt")
    total, headings, captions = EXPECTED[stem]
    assert len(paras) == total
    assert sum(p.kind == "heading" for p in paras) == headings
    assert sum(p.kind == "caption" for p in paras) == captions
    for p in paras:
        assert p.id == f"{stem}:{p.index}"
        assert not any(p.text.startswith(w) for w in CHROME_WORDS), p.text


def test_chrome_dropped_in_003(root):
    paras = read_report(root / "seeds" / "003_86615e91b483547b.txt")
    assert paras[0].text.startswith("把群众所需所盼的事")  # breadcrumb and byline gone
    assert paras[0].kind == "heading"
    assert paras[-1].text.startswith("自“优质服务惠民生”")  # comment/login tail gone


def test_traditional_seed_normalised(root):
    paras = read_report(root / "seeds" / "001_dc6bd422dcff6f05.txt")
    assert "枣庄供电公司" in paras[0].norm and "棗莊供電公司" in paras[0].text


def test_ids_stable_when_chrome_added():
    base = split_report("为孤寡老人检查线路。\n党员志愿者义务服务。", "r")
    more = split_report("当前位置: 首页 > 新闻\n为孤寡老人检查线路。\n\n党员志愿者义务服务。\n评论", "r")
    assert [p.text for p in base] == [p.text for p in more]
    assert [p.id for p in more] == ["r:1", "r:2"]


def test_story_sentence_mentioning_comments_is_kept():
    text = "不到一个小时的直播,百余位网友进入直播间,89人次参与互动评论,成为实践活动的成功尝试。"
    assert chrome_reason(text) is None
    assert len(split_report(text)) == 1


def test_caption_and_heading_kinds():
    paras = split_report("主动解决难题 守护用电安全\n员工为企业开展配电房安全检查。 陈晓晗 摄\n正文内容很长,结尾有句号。")
    assert [p.kind for p in paras] == ["heading", "caption", "body"]


def test_split_report_type_error():
    with pytest.raises(TypeError):
        split_report(b"bytes")  # type: ignore[arg-type]


def test_decoding_variants(tmp_path):
    text = "国网供电公司为老旧小区改造线路。\n第二段。"
    (tmp_path / "bom.txt").write_bytes("\ufeff".encode() + text.encode("utf-8"))
    (tmp_path / "gbk.txt").write_bytes(text.encode("gb18030"))
    (tmp_path / "crlf.txt").write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    for name in ("bom.txt", "gbk.txt", "crlf.txt"):
        assert read_text_file(tmp_path / name) == text, name
        assert len(read_report(tmp_path / name)) == 2


def test_bad_files_name_the_file(tmp_path):
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02abc")
    with pytest.raises(InputError, match="bin.txt.*binary"):
        read_text_file(tmp_path / "bin.txt")
    with pytest.raises(InputError, match="missing.txt: no such file"):
        read_text_file(tmp_path / "missing.txt")
    (tmp_path / "latin.txt").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(InputError, match="latin.txt.*--encoding"):
        read_text_file(tmp_path / "latin.txt", encoding="utf-8")


def test_empty_file_gives_no_paragraphs(tmp_path):
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    assert read_report(tmp_path / "empty.txt") == []


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_split_never_fails_and_keeps_text(text):
    paras = split_report(text, "doc")
    assert len({p.id for p in paras}) == len(paras)
    for p in paras:
        assert p.text and p.text in text and "\n" not in p.text
