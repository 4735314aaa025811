import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagger.normalize import normalize, strip_pinyin_annotations, to_simplified


def test_traditional_to_simplified():
    assert normalize("山東棗莊供電公司黨員突擊隊") == "山东枣庄供电公司党员突击队"


@pytest.mark.parametrize("raw, expected", [
    ("國網(wǎng)", "国网"),
    ("當(dāng)前位置", "当前位置"),
    ("供電(diàn)公司", "供电公司"),
    ("國網（wǎng）江蘇", "国网江苏"),  # full-width brackets
])
def test_pinyin_annotations_removed(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize("kept", ["办电e助手(APP)", "小彭(彭奕)服务队", "10千伏(kV)线路", "i国网(app)"])
def test_real_brackets_kept(kept):
    assert strip_pinyin_annotations(kept) == kept


def test_fullwidth_and_whitespace():
    assert normalize("  ＡＢＣ１２３\u3000供电\t公司  ") == "ABC123 供电公司"
    assert normalize("浦东供电 把服务送到社区") == "浦东供电把服务送到社区"
    assert normalize("a\u200bb\ufeff") == "ab"


def test_empty_and_type_errors():
    assert normalize("") == ""
    assert normalize(" \n\t ") == ""
    with pytest.raises(TypeError, match="expects str"):
        normalize(None)  # type: ignore[arg-type]


def test_to_simplified_leaves_simplified_alone():
    text = "南京供电公司为老旧小区加装电梯接电"
    assert to_simplified(text) == text


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_normalize_idempotent_on_any_text(text):
    once = normalize(text)
    assert isinstance(once, str)
    assert normalize(once) == once


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("國網供電黨員老舊小區加裝電梯(wǎngdiàn) 　ＡＢ１，。"), max_size=60))
def test_normalize_idempotent_on_report_like_text(text):
    assert normalize(normalize(text)) == normalize(text)
