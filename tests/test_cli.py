"""The command line as a user meets it: list, learn, race, and one-line errors with exit status 2."""

import json
import os
import subprocess
import sys

import pytest

from ml52 import lessons


def ml52(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "ml52", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "COLUMNS": "200"}, timeout=600)


def test_list_shows_every_lesson():
    r = ml52("list")
    assert r.returncode == 0, r.stderr
    for slug in lessons.SLUGS:
        assert slug in r.stdout


def test_budgets_split_the_race():
    """Budgets are one-core seconds: the race runs two workers on one core each, so together the budgets
    must fit in 2 x 52 s, less a few seconds per worker for starting Python and writing the report."""
    total = sum(lessons.load(slug).budget for slug in lessons.SLUGS)
    assert total <= 2 * 52 - 2 * 4, f"the lessons' budgets add up to {total} one-core seconds"


def test_learn_json(tmp_path):
    r = ml52("learn", "house-prices", "--json", "--out", str(tmp_path), "--device", "cpu")
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["lesson"] == "house-prices" and result["seed"] == 52 and result["passed"]
    assert set(result) >= {"lesson", "seed", "metrics", "bars", "passed", "seconds", "reference", "figures"}
    assert result["bars"] == [{"metric": "rmse_log", "op": "<=", "value": 0.115, "passed": True}]
    assert result["reference"]["name"] and "rmse_log" in result["reference"]["metrics"]
    assert all(os.path.getsize(f) > 0 for f in result["figures"])


def test_learn_human_output_ends_with_sources(tmp_path):
    r = ml52("learn", "house-prices", "--out", str(tmp_path), "--seed", "3", "--device", "cpu")
    assert r.returncode == 0, r.stderr
    assert "Idea." in r.stdout and "Read next:" in r.stdout
    assert r.stdout.rstrip().splitlines()[-1].strip().endswith(".py")


def test_same_seed_same_numbers(tmp_path):
    a = json.loads(ml52("learn", "house-prices", "--json", "--out", str(tmp_path / "a"), "--seed", "5").stdout)
    b = json.loads(ml52("learn", "house-prices", "--json", "--out", str(tmp_path / "b"), "--seed", "5").stdout)
    assert a["metrics"] == b["metrics"]


def test_race_only_json(tmp_path):
    r = ml52("race", "--only", "house-prices", "--json", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["passed"] and [x["lesson"] for x in summary["lessons"]] == ["house-prices"]
    assert summary["total_seconds"] > 0 and (tmp_path / "report.html").exists()


@pytest.mark.parametrize("args, expected", [
    (["learn", "house-price"], "did you mean 'house-prices'"),
    (["learn", "no-such-thing"], "no lesson called 'no-such-thing'"),
    (["race", "--only", "hous-prices"], "did you mean 'house-prices'"),
    (["learn", "house-prices", "--seed", "abc"], "invalid int value"),
    (["learn", "house-prices", "--frobnicate"], "unrecognized arguments"),
    (["race", "--device", "tpu"], "invalid choice"),
    (["dance"], "invalid choice"),
])
def test_bad_input_is_one_line_exit_2(args, expected):
    r = ml52(*args)
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert expected in lines[0]


def test_unwritable_output_folder(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    r = ml52("learn", "house-prices", "--out", str(blocker / "out"))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "cannot write to output folder" in r.stderr
