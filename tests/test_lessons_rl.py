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


@pytest.mark.slow
@pytest.mark.parametrize("seed", [52, 7])
def test_chess_endgame_meets_its_bars(tmp_path, seed):
    from ml52.lessons.chess_endgame import LESSON

    result = run_lesson(LESSON, seed=seed, out=tmp_path)
    m = result["metrics"]
    assert m["mate_rate"] >= 0.95 and m["moves_ratio"] <= 2.0 and m["cartpole_return"] >= 475
    assert m["mate_rate"] > m["random_mate_rate"] + 0.9       # a random mover almost never mates
    assert m["krk_mate_rate"] >= 0.8                         # reported, no bar: a sanity floor
    assert result["passed"]
    assert all(f.endswith(".png") for f in result["figures"])


def test_bad_options_are_user_errors(tmp_path):
    from ml52.errors import UserError
    from ml52.lessons import chess_endgame, robot_walk

    with pytest.raises(UserError, match="at least 1"):
        run_lesson(robot_walk.LESSON, out=tmp_path, options=robot_walk.Options(crawler_episodes=0))
    with pytest.raises(UserError, match="at least 1"):
        run_lesson(chess_endgame.LESSON, out=tmp_path, options=chess_endgame.Options(games=0))
