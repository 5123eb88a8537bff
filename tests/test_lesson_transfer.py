"""The transfer-learning lesson on real data at the default seed: its bars, its figures, its reference."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ml52.lesson import run_lesson


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One torch thread: on a shared, busy machine two threads fighting over small convolutions run ~10x slower."""
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="module")
def result(tmp_path_factory, one_thread):
    from ml52.lessons.transfer_learning import LESSON

    return run_lesson(LESSON, seed=52, out=tmp_path_factory.mktemp("out"))


@pytest.mark.slow
def test_chelsea_is_a_cat_and_the_new_head_learns(result):
    m = result["metrics"]
    for bar in result["bars"]:
        if bar["metric"] == "chelsea_top1":
            assert bar["passed"], m
    assert 281 <= m["chelsea_top1"] <= 285
    # brick / grass / gravel from 3 labelled tiles each, judged on 18 other tiles
    assert m["texture_accuracy"] >= 0.9
    assert result["reference"]["metrics"]["texture_accuracy"] == m["texture_accuracy"]
    for name in ("accuracy.png", "photos.png"):
        assert any(f.endswith(name) for f in result["figures"])


@pytest.mark.slow
def test_part1_compares_like_with_like(result):
    m = result["metrics"]
    for key in ("pretrained_accuracy", "scratch_accuracy", "pretrained_accuracy_50", "scratch_accuracy_50"):
        assert 0.25 < m[key] < 1.0, m            # far above guessing (0.10) on 4000 held-out silhouettes
    assert m["accuracy_gain"] == pytest.approx(m["pretrained_accuracy"] - m["scratch_accuracy"])
    # both networks fit all 100 training silhouettes: the scratch baseline is trained, not starved
    assert any("10 labels per animal" in n and "images: 100% / 100%" in n for n in result["notes"]), result["notes"]


@pytest.mark.slow
def test_accuracy_gain_bar_at_the_default_seed(result):
    assert result["metrics"]["accuracy_gain"] >= 0.10, result["metrics"]
    assert result["passed"], result["bars"]


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="issue 7: the gain is ~0.106 on average and misses 0.10 at 3 of 11 seeds")
def test_accuracy_gain_bar_at_another_seed(tmp_path):
    # Measured on one thread with 4000 test silhouettes (mean of 2 labelled draws): gain 0.107 (seed 52), 0.055 (0),
    # 0.110 (1), 0.105 (2), 0.125 (3), 0.0999 (4), 0.115 (5), 0.118 (6), 0.106 (7), 0.0996 (8), 0.128 (9). The bar
    # holds at 8 of these 11 seeds: clothes -> animals gains about 0.106 against a fairly tuned from-scratch
    # baseline. Seed 0 is the clearest miss; this test turns red when a change makes the bar hold there.
    from ml52.lessons.transfer_learning import LESSON

    m = run_lesson(LESSON, seed=0, out=tmp_path)["metrics"]
    assert m["accuracy_gain"] >= 0.10, m


def test_bad_resolution_is_a_user_error(tmp_path):
    from ml52.errors import UserError
    from ml52.lessons.transfer_learning import LESSON, Options

    with pytest.raises(UserError, match="--resolution 8 is out of range"):
        run_lesson(LESSON, seed=52, out=tmp_path, options=Options(resolution=8))


def test_lesson_module_imports_light():
    code = ("import sys, ml52.lessons.transfer_learning as m; "
            "print(any(k in sys.modules for k in ('torch', 'numpy', 'sklearn', 'matplotlib')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
