"""The KQK/KRK tables against python-chess (moves) and Gaviota (distance to mate); REINFORCE against torch."""

import chess
import numpy as np
import pytest
import torch

from ml52.reinforcement import endgame as E
from ml52.reinforcement.checkmate import CheckmateConfig, gradient, play, train
from ml52.reinforcement.reinforce import (Adam, action_probabilities, advantages, discounted_returns, sample,
                                         score_weights)


@pytest.fixture(scope="module", params=["Q", "R"])
def eg(request):
    return E.build(request.param)


@pytest.fixture(scope="module")
def tb():
    return E.open_gaviota()


def _index(board: chess.Board) -> int:
    wk, bk = board.king(chess.WHITE), board.king(chess.BLACK)
    (p,) = [sq for sq in board.piece_map() if sq not in (wk, bk)]
    return E.encode(wk, p, bk)


def _sample(eg, mask, n, seed):
    return np.random.default_rng(seed).choice(np.flatnonzero(mask), n, replace=False)


def test_legal_positions_match_python_chess(eg):
    rng = np.random.default_rng(0)
    for i in rng.integers(E.N, size=400):
        for white in (True, False):
            board = E.to_board(eg.piece, i, white) if len(set(E.decode(np.int64(i)))) == 3 else None
            legal = (eg.legal_w if white else eg.legal_b)[i]
            assert legal == (board is not None and board.is_valid()), board


def test_moves_match_python_chess(eg):
    for i in _sample(eg, eg.legal_w, 150, 1):
        board = E.to_board(eg.piece, i, True)
        theirs = []
        for move in board.legal_moves:
            board.push(move)
            theirs.append(_index(board))
            board.pop()
        assert sorted(theirs) == sorted(s for s in eg.succ_w[i] if s >= 0), board.fen()
    for i in _sample(eg, eg.legal_b, 150, 2):
        board = E.to_board(eg.piece, i, False)
        theirs = []
        for move in board.legal_moves:
            board.push(move)
            theirs.append(E.DRAW if len(board.piece_map()) == 2 else _index(board))
            board.pop()
        assert sorted(theirs) == sorted(int(s) for s in eg.succ_b[i] if s != -1), board.fen()
        assert eg.mate[i] == board.is_checkmate() and eg.stalemate[i] == board.is_stalemate()
        assert eg.check[i] == board.is_check()


def test_retrograde_dtm_equals_gaviota(eg, tb):
    # exact integers: both count plies to mate; Gaviota's sign says who wins, 0 is a draw
    for i in _sample(eg, eg.legal_w, 150, 3):
        assert tb.probe_dtm(E.to_board(eg.piece, i, True)) == eg.dtm_w[i]
    for i in _sample(eg, eg.legal_b, 150, 4):
        expected = -int(eg.dtm_b[i]) if eg.dtm_b[i] >= 0 else 0
        assert tb.probe_dtm(E.to_board(eg.piece, i, False)) == expected


def test_longest_mates_are_the_published_ones(eg):
    # KQK: mate in at most 10 moves; KRK: at most 16 (e.g. Nalimov / Gaviota statistics); every
    # white-to-move position is a win
    assert (eg.dtm_w[eg.legal_w] >= 1).all()
    assert int(eg.dtm_w.max()) == {"Q": 19, "R": 31}[eg.piece]


def test_defender_reply_is_gaviota_optimal(eg, tb):
    lost = eg.legal_b & (eg.dtm_b > 0) & (eg.reply >= 0)
    for i in _sample(eg, lost, 40, 5):
        board = E.to_board(eg.piece, i, False)
        # no capture is possible here, so the best defence is the move after which mate is furthest away
        best = max(_probe_after(tb, board, m) for m in board.legal_moves)
        assert tb.probe_dtm(E.to_board(eg.piece, eg.reply[i], True)) == best


def _probe_after(tb, board, move):
    board.push(move)
    plies = tb.probe_dtm(board)     # white to move, winning: plies to mate > 0
    board.pop()
    return plies


def test_king_region_by_hand():
    # rook a5 cuts the board at the 5th rank; black king e8, white king h1: the black king can walk
    # to ranks 6-8 except the a-file (the rook's file): 3 * 7 = 21 squares
    attack = E.slider_attacks(E.SLIDER_DIRS["R"])
    sq = chess.parse_square
    region = E.king_region(attack, np.array([sq("h1")]), np.array([sq("a5")]), np.array([sq("e8")]))
    assert region.tolist() == [21]


# ---- REINFORCE against torch ------------------------------------------------------------------------

def test_probabilities_and_policy_gradient_match_torch():
    rng = np.random.default_rng(0)
    B, A, F = 6, 5, 4
    phi, theta = rng.normal(size=(B, A, F)), rng.normal(size=F)
    legal = rng.random((B, A)) < 0.7
    legal[:, 0] = True
    a = np.where(legal, rng.random((B, A)), -1.0).argmax(axis=1)      # a random legal action per row
    adv = rng.normal(size=B)
    pi = action_probabilities(phi @ theta, legal)
    t_theta = torch.tensor(theta, requires_grad=True)
    logits = torch.tensor(phi) @ t_theta
    logits = logits.masked_fill(~torch.tensor(legal), float("-inf"))
    log_pi = torch.log_softmax(logits, dim=1)
    torch.testing.assert_close(torch.tensor(pi), log_pi.exp().detach(), rtol=0, atol=1e-12)
    (torch.tensor(adv) * log_pi[torch.arange(B), torch.tensor(a)]).sum().backward()
    ours = np.einsum("ba,baf->f", score_weights(pi, a, adv), phi)
    # float64 throughout: agreement to rounding
    np.testing.assert_allclose(ours, t_theta.grad.numpy(), atol=1e-12)


def test_sample_follows_the_probabilities():
    pi = np.tile([0.1, 0.0, 0.6, 0.3], (200_000, 1))
    counts = np.bincount(sample(pi, np.random.default_rng(0)), minlength=4) / len(pi)
    # 200k draws: the standard error of each frequency is below 0.0011, so 0.005 is > 4 sigma
    np.testing.assert_allclose(counts, [0.1, 0.0, 0.6, 0.3], atol=0.005)


def test_discounted_returns_and_baseline_by_hand():
    rewards = np.array([[0.0, 1.0], [0.0, 0.0], [1.0, 0.0]])
    alive = np.array([[True, True], [True, False], [True, False]])
    G = discounted_returns(rewards, alive, 0.5)
    np.testing.assert_allclose(G, [[0.25, 1.0], [0.5, 0.0], [1.0, 0.0]])
    adv = advantages(G, alive, normalise=False)
    np.testing.assert_allclose(adv, [[0.25 - 0.625, 1.0 - 0.625], [0.0, 0.0], [0.0, 0.0]])


def test_adam_matches_torch():
    rng = np.random.default_rng(1)
    theta = rng.normal(size=3)
    t = torch.tensor(theta.copy(), requires_grad=True)
    opt = torch.optim.Adam([t], lr=0.1, maximize=True)
    ours = Adam(lr=0.1)
    for _ in range(5):
        g = rng.normal(size=3)
        theta = ours.step(theta, g)
        t.grad = torch.tensor(g)
        opt.step()
    np.testing.assert_allclose(theta, t.detach().numpy(), atol=1e-12)


def test_table_gradient_equals_the_plain_score_function(eg):
    # the bincount shortcut in checkmate.gradient == sum_t adv_t (phi(a_t) - E_pi phi) written out
    rng = np.random.default_rng(2)
    theta = rng.normal(size=eg.features.shape[1] + 1)
    starts = _sample(eg, eg.legal_w, 16, 6)
    games = play(eg, theta, starts, rng, max_moves=8, learn=True)
    ours = gradient(eg, games, gamma=0.9)
    T, B = len(games.steps), len(starts)
    alive = np.zeros((T, B), dtype=bool)
    for t, (idx, *_) in enumerate(games.steps):
        alive[t, idx] = True
    rewards = np.zeros((T, B))
    rewards[games.moves - 1, np.arange(B)] = games.mated
    adv = advantages(discounted_returns(rewards, alive, 0.9), alive)
    plain = np.zeros_like(theta)
    for t, (idx, succ, repeats, pi, a) in enumerate(games.steps):
        phi = np.concatenate([eg.features[np.maximum(succ, 0)], repeats[..., None]], axis=2)   # (b, M, F+1)
        phi = phi * (succ >= 0)[..., None]
        rows = np.arange(len(idx))
        plain += (adv[t, idx][:, None] * (phi[rows, a] - np.einsum("bm,bmf->bf", pi, phi))).sum(axis=0)
    # float32 features, float64 sums: 1e-9 relative
    np.testing.assert_allclose(ours, plain / B, rtol=1e-9, atol=1e-12)


def test_a_mate_in_one_is_played_by_a_policy_that_values_mate(eg):
    in_one = np.flatnonzero(eg.legal_w & (eg.dtm_w == 1))[:50]
    theta = np.zeros(eg.features.shape[1] + 1)
    theta[eg.feature_names.index("mate")] = 50.0
    games = play(eg, theta, in_one, None, greedy=True)
    assert games.mated.all() and (games.moves == 1).all()


def test_training_learns_from_near_mate_starts(eg):
    # a tiny run: 8 updates of 64 games, curriculum up to mate-in-3; far better than a random mover
    pool = np.flatnonzero(eg.legal_w & (eg.dtm_w <= 5))
    theta, history = train(eg, pool, CheckmateConfig(iterations=8, batch=64), np.random.default_rng(0))
    rng = np.random.default_rng(1)
    starts = rng.choice(pool, 300)
    learned = play(eg, theta, starts, rng).mated.mean()
    random = play(eg, np.zeros_like(theta), starts, rng).mated.mean()
    assert learned > random + 0.3
