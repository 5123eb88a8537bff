"""The reinforcement-learning lessons meet their bars (seeded, on the real environments)."""

import pytest

from ml52.lesson import run_lesson


@pytest.mark.slow
@pytest.mark.parametrize("seed", [52, 7])
def test_robot_walk_meets_its_bars(tmp_path, seed):
    from ml52.lessons.robot_walk import LESSON

    result = run_lesson(LESSON, seed=seed, out=tmp_path)
    assert result["metrics"]["speed_ratio"] >= 0.8
    assert result["metrics"]["cliff_return"] == -13
    assert result["passed"]
    for f in result["figures"]:
        assert (tmp_path / "robot-walk").exists() and f.endswith((".png", ".gif"))
