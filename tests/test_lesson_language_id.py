"""The language-id lesson: its data helpers on hand-made cases, the dictd reader, and the bar on real words."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from ml52.lesson import run_lesson
from ml52.lessons import language_id as lid


def test_words_on_several_lists_are_dropped():
    lists = {lang: [] for lang in lid.LANGUAGES}
    lists["en"] = ["the", "hotel", "dog", "dog"]
    lists["de"] = ["der", "hotel", "hund"]
    lists["nl"] = ["de", "hond"]
    words, y = lid.unambiguous_words(lists)
    names = list(lid.LANGUAGES)
    assert sorted(zip(words, (names[i] for i in y))) == sorted(
        [("the", "en"), ("dog", "en"), ("der", "de"), ("hund", "de"), ("de", "nl"), ("hond", "nl")])


def test_phrases_are_three_words_of_one_language():
    y = np.array([0] * 7 + [1] * 6 + [2] * 2)
    phrases, labels = lid.make_phrases(y, 3, np.random.default_rng(0))
    assert phrases.shape == (4, 3)                        # 7 // 3 + 6 // 3 + 2 // 3
    assert all(len(set(y[p])) == 1 and y[p][0] == c for p, c in zip(phrases, labels))
    assert len(np.unique(phrases)) == phrases.size        # no word used twice


def test_phrase_probability_multiplies_word_probabilities():
    P = np.array([[0.6, 0.4], [0.7, 0.3], [0.2, 0.8]])
    L = lid.phrase_log_proba(np.log(P), np.array([[0, 1, 2]]))
    # P(l | phrase) ∝ Π_w P(l | w): 0.6·0.7·0.2 = 0.084 against 0.4·0.3·0.8 = 0.096
    np.testing.assert_allclose(np.exp(L[0]), [0.084 / 0.18, 0.096 / 0.18], rtol=1e-12)


def _dictd(tmp_path, entries: dict[str, str]):
    """A tiny dictd dictionary: index headword -> entry text (its first line the display headword), the
    bodies gzip-compressed, the index lines "headword<TAB>offset<TAB>length" in dictd's base64."""
    body, lines = b"", []
    for head, text in entries.items():
        raw = f"{text}\n".encode()
        lines.append(f"{head}\t{_b64(len(body))}\t{_b64(len(raw))}")
        body += raw
    path = tmp_path / "freedict-xxx-eng.dict.dz"
    path.write_bytes(gzip.compress(body))
    (tmp_path / "freedict-xxx-eng.index").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _b64(n: int) -> str:
    digits = ""
    while True:
        digits = lid.DictdReader.B64[n % 64] + digits
        n //= 64
        if n == 0:
            return digits


def test_dictd_reader_looks_up_and_reverses(tmp_path):
    path = _dictd(tmp_path, {"hund": "Hund /hʊnt/ <masc>\nmine car <n>",
                             "Hund": "Hund /hʊnt/ <masc>\n [zool.] dog <n>, hound <n>\n  \"ein Hund\" - a dog",
                             "haus": "Haus\nhouse <n>", "cat": "cat /kæt/\ngato, felino"})
    reader = lid.DictdReader(path)
    assert reader.number("BA") == 64
    # both "hund" entries match (any case); the longer one, with an example, gives the sense
    assert len(reader.lookup("HUND")) == 2
    assert lid.first_sense(reader.lookup("hund")) == "dog"
    assert lid.first_sense(reader.lookup("haus")) == "house"
    assert reader.lookup("katze") == [] and lid.first_sense([]) is None
    reverse = reader.reverse_index()
    assert reverse["gato"] == "cat" and reverse["felino"] == "cat"


@pytest.mark.slow
@pytest.mark.parametrize("seed", [52, 7])
def test_bar_and_reference(seed, out_dir):
    text = "ich habe einen Hund" if seed == 52 else ""
    result = run_lesson(lid.LESSON, seed=seed, out=out_dir, options=lid.Options(text=text))
    m, ref = result["metrics"], result["reference"]["metrics"]
    assert m["word_accuracy"] >= 0.77, m
    assert m["phrase_accuracy"] >= 0.95, m
    assert result["passed"]
    # the reference is real and on the same held-out words: logistic regression on the same features
    assert 0.7 <= ref["word_accuracy"] <= 0.9 and 0.9 <= ref["phrase_accuracy"] <= 1.0
    assert all(p.endswith(".png") for p in result["figures"])
    if text:
        assert any(n.startswith(f'"{text}" is German with probability') for n in result["notes"]), result["notes"]


def test_text_without_words_is_a_user_error(out_dir):
    from ml52.errors import UserError

    assert lid.words_of("Ich habe 2 Hunde!") == ["ich", "habe", "hunde"]
    with pytest.raises(UserError, match="no words"):
        run_lesson(lid.LESSON, seed=52, out=out_dir, options=lid.Options(text="1234 !!"))
