"""King and Queen (or Rook) against King: every position, every move and the exact distance to mate.

With three pieces there are only 64 * 64 * 64 placements, so the whole ending fits in NumPy arrays:

- a move generator for both sides, as tables of successor positions (checked against python-chess);
- the exact distance to mate (DTM) of every position by *retrograde analysis* (Thompson, "Retrograde
  analysis of certain endgames", ICCA Journal 9(3), 1986): start from the checkmates and walk the
  move graph backwards one ply at a time (checked against the Gaviota tablebases);
- the defender's best reply (the move that delays mate longest, or a draw when it can take the piece
  or is stalemated), and hand-made features of each position for the attacker's policy.

A position is an index `i = wk * 4096 + p * 64 + bk` (white king, white piece, black king; squares
numbered as in python-chess, a1 = 0, h8 = 63). Two tables share those indices: "W" with white to move,
"B" with black to move. DTM is counted in plies, as Gaviota counts it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

N = 64 * 64 * 64
MATE, DRAW = -1, -2          # the defender's "reply" when it is mated, or draws (capture / stalemate)
FILE, RANK = np.arange(64) % 8, np.arange(64) // 8
# Chebyshev (king-move) distance between squares  (64, 64)
CHEB = np.maximum(abs(FILE[:, None] - FILE[None, :]), abs(RANK[:, None] - RANK[None, :]))
KING_DIRS = [(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1)]
SLIDER_DIRS = {"Q": KING_DIRS, "R": KING_DIRS[:4]}
PIECE_NAMES = {"Q": "queen", "R": "rook"}


def decode(i: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Position index -> (white king, white piece, black king) squares."""
    return i >> 12, (i >> 6) & 63, i & 63


def encode(wk, p, bk):
    return wk * 4096 + p * 64 + bk


def _step(sq: int, df: int, dr: int, k: int) -> int:
    f, r = sq % 8 + df * k, sq // 8 + dr * k
    return r * 8 + f if 0 <= f < 8 and 0 <= r < 8 else -1


def rays(dirs) -> np.ndarray:
    """The squares 1..7 steps from each square in each direction, -1 off the board  (64, D, 7)."""
    return np.array([[[_step(s, df, dr, k) for k in range(1, 8)] for df, dr in dirs] for s in range(64)])


KING_NEIGHBOURS = rays(KING_DIRS)[:, :, 0]     # (64, 8)


def slider_attacks(dirs) -> np.ndarray:
    """attack[p, t, w]: does a slider on p attack t when the only other piece in its way stands on w?"""
    attack = np.zeros((64, 64, 64), dtype=bool)
    R = rays(dirs)
    for p in range(64):
        for d in range(len(dirs)):
            path = [t for t in R[p, d] if t >= 0]
            for k, t in enumerate(path):
                attack[p, t, :] = True
                attack[p, t, path[:k]] = False   # a blocker strictly between p and t stops the ray
    return attack


@dataclass
class Endgame:
    """All positions of K + piece vs K: legality, moves, DTM, the defender's replies and features."""

    piece: str               # "Q" or "R"
    legal_w: np.ndarray      # (N,) bool: a legal position with white to move
    legal_b: np.ndarray      # (N,) bool: a legal position with black to move
    check: np.ndarray        # (N,) bool: black king attacked
    succ_w: np.ndarray       # (N, M) int32: B-index after each white move, -1 = no move
    succ_b: np.ndarray       # (N, 8) int32: W-index after each black king move, -1 none, DRAW = takes the piece
    mate: np.ndarray         # (N,) bool: black to move is checkmated
    stalemate: np.ndarray    # (N,) bool
    dtm_w: np.ndarray        # (N,) int16: plies to mate with white to move (-1: not a win)
    dtm_b: np.ndarray        # (N,) int16: plies to mate with black to move (-1: not lost)
    reply: np.ndarray        # (N,) int32: the defender's best reply (W-index), MATE or DRAW
    features: np.ndarray     # (N, F) float32: features of each black-to-move position
    feature_names: tuple[str, ...]


def build(piece: str) -> Endgame:
    """Generate every position and move of K + `piece` vs K, then solve it by retrograde analysis."""
    if piece not in SLIDER_DIRS:
        raise ValueError(f"piece must be 'Q' or 'R', not {piece!r}")
    attack = slider_attacks(SLIDER_DIRS[piece])                     # [p, t, w]
    sq = np.arange(64, dtype=np.int32)
    WK, P, BK = sq[:, None, None], sq[None, :, None], sq[None, None, :]   # broadcast to (64, 64, 64)
    distinct = (WK != P) & (P != BK) & (WK != BK)
    legal_b = distinct & (CHEB[WK, BK] > 1)                         # kings never touch
    check = legal_b & attack[P, BK, WK]
    legal_w = legal_b & ~check               # white to move cannot be giving check already

    # ---- black's king moves: (64, 64, 64, 8) ---------------------------------------------------
    succ_b = np.full((64, 64, 64, 8), -1, dtype=np.int32)
    for k in range(8):
        t = KING_NEIGHBOURS[BK, k]                                  # (1, 1, 64) target squares
        tt = np.maximum(t, 0)
        free = (t >= 0) & (CHEB[WK, tt] > 1)                        # never next to the white king
        takes = free & (tt == P)                                    # capturing the undefended piece
        safe = free & (tt != P) & ~attack[P, tt, WK]
        succ_b[..., k] = np.where(safe, WK * 4096 + P * 64 + tt, np.where(takes, DRAW, -1))

    # ---- white's moves: king steps, then the slider to every square it reaches: (64, 64, 64, M) ---
    targets = [[t for t in range(64) if attack[p, t, p]] for p in range(64)]   # empty board reach
    M = max(map(len, targets))
    T = np.array([ts + [-1] * (M - len(ts)) for ts in targets], dtype=np.int32)   # (64, M)
    succ_w = np.full((64, 64, 64, 8 + M), -1, dtype=np.int32)
    for k in range(8):
        t = KING_NEIGHBOURS[WK, k]                                  # (64, 1, 1)
        tt = np.maximum(t, 0)
        ok = (t >= 0) & (tt != P) & (CHEB[tt, BK] > 1)
        succ_w[..., k] = np.where(ok, tt * 4096 + P * 64 + BK, -1)
    for m in range(M):
        t = T[P, m]                                                 # (1, 64, 1)
        tt = np.maximum(t, 0)
        # the slider reaches tt if neither king stands on the way or on tt itself
        ok = (t >= 0) & attack[P, tt, WK] & attack[P, tt, BK] & (tt != WK) & (tt != BK)
        succ_w[..., 8 + m] = np.where(ok, WK * 4096 + tt * 64 + BK, -1)
    succ_w[~distinct] = -1
    succ_w, succ_b = succ_w.reshape(N, -1), succ_b.reshape(N, 8)
    legal_b, legal_w, check = legal_b.ravel(), legal_w.ravel(), check.ravel()
    can_move = (succ_b != -1).any(axis=1)
    mate = legal_b & check & ~can_move
    stalemate = legal_b & ~check & ~can_move
    wk, p, bk = decode(np.arange(N))

    dtm_w, dtm_b = retrograde(succ_w, succ_b, legal_w, legal_b, mate)
    reply = best_replies(succ_b, dtm_w, mate, stalemate)
    features, names = position_features(attack, wk, p, bk, check, mate, stalemate, succ_b)
    return Endgame(piece, legal_w, legal_b, check, succ_w, succ_b, mate, stalemate, dtm_w, dtm_b, reply,
                   features, names)


def retrograde(succ_w, succ_b, legal_w, legal_b, mate) -> tuple[np.ndarray, np.ndarray]:
    """Exact DTM in plies by walking back from the mates, one ply per step.

    White to move wins in n if *some* move reaches a black-to-move position lost in n - 1; black to
    move is lost in n if *every* move reaches a white-to-move win (the longest one in n - 1) and it
    cannot take the piece. White's moves un-made are white's moves again (kings and sliders move
    symmetrically), so `succ_w` read from a black-to-move position lists its predecessors.
    """
    dtm_w = np.full(N, -1, dtype=np.int16)
    dtm_b = np.full(N, -1, dtype=np.int16)
    dtm_b[mate] = 0
    frontier, n = np.flatnonzero(mate), 0
    while frontier.size:
        # white to move, mate in n + 1: a white move into the frontier
        mark = np.zeros(N + 1, dtype=bool)            # slot N catches the -1 "no move" entries
        mark[succ_w[frontier].ravel()] = True
        new_w = np.flatnonzero(mark[:N] & legal_w & (dtm_w < 0))
        dtm_w[new_w] = n + 1
        # black to move, mate in n + 2: positions one black king move before the new wins ...
        wk, p, bk = decode(new_w)
        t = KING_NEIGHBOURS[bk]                                      # (P, 8)
        mark = np.zeros(N + 1, dtype=bool)
        mark[np.where(t >= 0, encode(wk[:, None], p[:, None], t), -1)] = True
        cand = np.flatnonzero(mark[:N] & legal_b & (dtm_b < 0))
        # ... whose every move now leads to a known white win (no capture, no stalemate)
        s = succ_b[cand]                                             # (C, 8)
        lost = ((s == -1) | ((s >= 0) & (dtm_w[np.maximum(s, 0)] >= 0))).all(axis=1) & (s >= 0).any(axis=1)
        frontier = cand[lost]
        dtm_b[frontier] = n + 2
        n += 2
    return dtm_w, dtm_b


def best_replies(succ_b, dtm_w, mate, stalemate) -> np.ndarray:
    """The tablebase-optimal defence: take the piece if it can, else delay mate the longest."""
    value = np.where(succ_b >= 0, dtm_w[np.maximum(succ_b, 0)], -1)     # (N, 8)
    reply = succ_b[np.arange(N), value.argmax(axis=1)]                  # first of the longest
    reply = np.where((succ_b == DRAW).any(axis=1) | stalemate, DRAW, reply)
    return np.where(mate, MATE, reply).astype(np.int32)


BIT = np.uint64(1) << np.arange(64, dtype=np.uint64)     # the bitboard of each square
NOT_A, NOT_H = np.uint64(0xFEFEFEFEFEFEFEFE), np.uint64(0x7F7F7F7F7F7F7F7F)


def king_dilate(bb: np.ndarray) -> np.ndarray:
    """Bitboards grown by one king step in every direction (a1 = bit 0; files must not wrap)."""
    e, w = (bb << np.uint64(1)) & NOT_A, (bb >> np.uint64(1)) & NOT_H
    row = bb | e | w
    return row | (row << np.uint64(8)) | (row >> np.uint64(8))


def king_region(attack, wk, p, bk) -> np.ndarray:
    """How many squares the black king could walk to, ignoring whose turn it is: a flood fill from
    its square through squares neither the piece nor the white king attacks  (N,) ints.

    This is the "box" that the classic queen and rook mates shrink step by step."""
    attacked_bb = (attack.transpose(0, 2, 1).astype(np.uint64) * BIT).sum(axis=2, dtype=np.uint64)  # [p, w]
    zone_bb = king_dilate(BIT)                                                            # [wk]
    blocked = attacked_bb[p, wk] | zone_bb[wk] | BIT[p]                                  # (N,)
    region = BIT[bk]
    while True:
        grown = region | (king_dilate(region) & ~blocked)
        if np.array_equal(grown, region):
            return np.bitwise_count(region).astype(np.int64)
        region = grown


def position_features(attack, wk, p, bk, check, mate, stalemate, succ_b):
    """Hand-made features of a position with black to move (what white's move achieved)  (N, F)."""
    hangs = (succ_b == DRAW).any(axis=1)
    mobility = (succ_b >= 0).sum(axis=1)
    kings = CHEB[wk, bk]
    # the white king facing the black king two squares away on a file or rank (the opposition)
    opposition = ((FILE[wk] == FILE[bk]) | (RANK[wk] == RANK[bk])) & (kings == 2)
    columns = {
        "mate": mate,
        "stalemate": stalemate,
        "piece hangs": hangs & ~mate,
        "black king mobility / 8": mobility / 8.0,
        "black king region / 64": king_region(attack, wk, p, bk) / 64.0,
        "king distance / 7": kings / 7.0,
        "check": check,
        "piece guarded": CHEB[wk, p] == 1,
        "opposition": opposition,
        "piece distance to black king / 7": CHEB[p, bk] / 7.0,
    }
    features = np.stack([np.asarray(c, dtype=np.float32) for c in columns.values()], axis=1)
    return features, tuple(columns)


# ---- python-chess and Gaviota bridges (for checks and diagrams) ------------------------------------

def to_board(piece: str, i: int, white_to_move: bool):
    """The position with index `i` as a python-chess board."""
    import chess

    wk, p, bk = (int(x) for x in decode(np.int64(i)))
    board = chess.Board(None)
    board.set_piece_at(wk, chess.Piece(chess.KING, chess.WHITE))
    board.set_piece_at(p, chess.Piece(chess.QUEEN if piece == "Q" else chess.ROOK, chess.WHITE))
    board.set_piece_at(bk, chess.Piece(chess.KING, chess.BLACK))
    board.turn = chess.WHITE if white_to_move else chess.BLACK
    return board


def open_gaviota():
    """The Gaviota tablebases, opened with python-chess (its pure-Python reader needs the .cp4 tables)."""
    from pathlib import Path

    import chess.gaviota

    from ml52.datasets import gaviota_dirs
    from ml52.errors import DataMissing

    dirs = gaviota_dirs()
    # python-chess reads only LZMA-compressed tables (.gtb.cp4); Debian's gaviotatb ships them in gtb4
    cp4 = [d for d in dict.fromkeys(dirs + [str(Path(d).parent / "gtb4") for d in dirs])
           if any(Path(d).glob("*.gtb.cp4"))]
    if not cp4:
        raise DataMissing("the Gaviota tablebases in the .cp4 format python-chess reads are missing: "
                          "sudo apt-get install gaviotatb (it installs /usr/share/gaviotatb/gtb4)")
    tb = chess.gaviota.open_tablebase(cp4[0])
    for d in cp4[1:]:
        tb.add_directory(d)
    return tb
