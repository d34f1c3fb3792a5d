"""The interface in Chinese: every text has a translation, none is stale, and the core,
the CLI's `list` and its error lines speak the language chosen by --lang or the locale."""
import importlib.util
import re
import string
from pathlib import Path

import pytest

from optplayground.cli import main
from optplayground.cli_boundary import take_lang_option
from optplayground.core import i18n
from optplayground.core.params import ConfigError, Param
from tests.i18n_texts import all_texts, string_constants

CATALOG = i18n.load_catalog("zh_CN")


@pytest.fixture
def chinese():
    i18n.misses.clear()
    i18n.set_language("zh_CN")
    yield
    i18n.set_language("en")
    i18n.misses.clear()


def fields(text: str) -> set:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_text_shown_has_a_chinese_translation():
    missing = {text: where for text, where in all_texts().items() if text not in CATALOG}
    assert not missing, ("add these to optplayground/resources/i18n/zh_CN.json "
                         "(python -m tests.i18n_texts prints them as JSON):\n"
                         + "\n".join(f"  {where}: {text!r}" for text, where in missing.items()))


def test_the_catalog_has_no_stale_entries():
    used = set(all_texts()) | string_constants()
    stale = sorted(text for text in CATALOG if text not in used)
    assert not stale, "no longer in the source; remove from zh_CN.json:\n" + "\n".join(map(repr, stale))


def test_each_translation_keeps_the_placeholders_and_is_chinese_where_the_text_has_words():
    for text, translated in CATALOG.items():
        assert fields(translated) == fields(text), text
        assert translated.strip(), text
        if re.search(r"[a-z]{3,} [a-z]{3,} [a-z]{3,}", text):  # a phrase, not a name or formula
            assert re.search(r"[\u4e00-\u9fff]", translated), text


def test_tr_translates_fills_placeholders_and_remembers_what_it_lacks(chinese):
    assert i18n.tr("Learning rate") == "学习率"
    assert i18n.tr("step {step} / {steps}", step=3, steps=10) == "第 3 / 10 步"
    assert i18n.tr("not in any catalog") == "not in any catalog"
    assert i18n.misses == {"not in any catalog"}
    i18n.set_language("en")
    assert i18n.tr("Learning rate") == "Learning rate"


def test_the_language_comes_from_the_locale(monkeypatch):
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert i18n.system_language() == "zh_CN"
    monkeypatch.setenv("LANGUAGE", "fr:zh_TW")  # a list: the first we have wins
    assert i18n.system_language() == "zh_CN"
    monkeypatch.setenv("LANGUAGE", "de")
    monkeypatch.setenv("LC_ALL", "C")
    assert i18n.system_language() == "en"
    assert i18n.normalize("zh-Hans") == "zh_CN" and i18n.normalize("pt_BR") is None
    monkeypatch.delenv(i18n.ENV)
    assert i18n.choose("zh_CN") == "zh_CN"  # no --lang: the window's saved choice
    monkeypatch.setenv(i18n.ENV, "en")
    assert i18n.choose("zh_CN") == "en"  # --lang wins
    i18n.set_language("en")


def test_core_error_messages_are_translated(chinese):
    with pytest.raises(ConfigError) as caught:
        Param("lr", 0.1, low=0.0).coerce(-1)
    assert str(caught.value) == "lr: 必须在 [0, inf] 内，实际为 -1"


def test_cli_lang_option_anywhere_and_a_bad_one_is_one_line(capsys):
    try:
        assert take_lang_option(["list", "--lang", "zh_CN", "losses"]) == ["list", "losses"]
        assert i18n.language() == "zh_CN"
        assert take_lang_option(["--lang=en", "run"]) == ["run"]
        assert i18n.language() == "en"
        assert main(["--lang", "xx", "list", "losses"]) == 2
        assert capsys.readouterr().err == "optplayground: error: --lang: unknown language 'xx' (known: en, zh_CN)\n"
        with pytest.raises(SystemExit) as usage:  # argparse's way out
            main(["list", "nothing", "--lang", "zh_CN"])
        assert usage.value.code == 2 and "错误" in capsys.readouterr().err
    finally:
        i18n.set_language("en")


def test_cli_list_in_chinese_translates_every_line(capsys, chinese):
    for what in ("surfaces", "optimizers", "schedules", "datasets", "losses", "presets"):
        assert main(["list", what]) == 0
    out = capsys.readouterr().out
    assert not i18n.misses
    assert "学习率：每一步迈多大" in out and "余弦退火" in out and "学习率过大" in out
    assert "sgd                SGD\n" in out  # torch's names stay


def test_the_pyqtgraph_catalog_holds_texts_pyqtgraph_translates():
    root = Path(importlib.util.find_spec("pyqtgraph").origin).parent
    source = "".join(path.read_text(encoding="utf-8", errors="replace") for path in root.rglob("*.py"))
    catalog = i18n.load_catalog("zh_CN", "pyqtgraph")
    stale = [text for text in catalog if not any(
        variant in source for variant in (text, text.replace('"', '\\"'), text.replace("'", "\\'")))]
    assert catalog and not stale, stale
    assert all(fields(text) == fields(translated) for text, translated in catalog.items())
