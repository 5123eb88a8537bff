"""Character n-grams, hashed: turning words into fixed-length vectors without a vocabulary.

A word's spelling betrays its language: "-ción" is Spanish, "sch" German, "ij" Dutch. So a word becomes the
counts of its character n-grams, taken inside the word padded with a space on each side (" hund " gives
" h", "hu", "und ", ...), which marks the letters that begin and end it. This is scikit-learn's
`analyzer="char_wb"` (Cavnar & Trenkle 1994, "N-Gram-Based Text Categorization").

Instead of a vocabulary, each n-gram is hashed to one of `n_features` columns (the "hashing trick",
Weinberger et al. 2009): no fitting, no memory for a dictionary, and words never seen before still get a
vector. Two n-grams may share a column (a collision); with a few thousand columns that costs little.

The hashing runs on NumPy arrays of code points, all words at once: the n-gram starting at position p is
the polynomial hash h = Σ_i c_{p+i} · P^(n-1-i) (mod 2^64) of its characters, then scrambled by
MurmurHash3's 64-bit finaliser so that every bit of h reaches the column index.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import NotFittedError

P = np.uint64(1_000_003)               # the polynomial hash's base: an odd prime, larger than any code point


def fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's finaliser: mixes all 64 bits of h (uint64 array, wraps around mod 2^64)."""
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


def ngram_hashes(words: list[str], ngram_range: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The hashes of every char_wb n-gram of every word: (word index (m,), 64-bit hash (m,)).

    Each word w is padded to " w "; for each n in ngram_range every n-gram of it counts once, except that
    a padded word of length <= n counts once as a whole and longer n are skipped (scikit-learn's rule).
    """
    lo, hi = ngram_range
    padded = [f" {w} " for w in words]
    length = np.array([len(w) for w in padded], dtype=np.int64)                # (W,)
    L = int(length.max(initial=2))
    # code points, one row per padded word, zeros after its end: (W, L)
    codes = np.array(padded, dtype=f"<U{L}").view(np.uint32).reshape(len(padded), L).astype(np.uint64)
    rows, hashes = [], []
    h = np.zeros((len(padded), L), dtype=np.uint64)     # h[w, p]: hash of the n-gram of word w starting at p
    whole = np.zeros(len(padded), dtype=np.uint64)      # hash of each whole padded word
    done = np.zeros(len(padded), dtype=bool)            # words already counted whole
    for n in range(1, hi + 1):
        # extend every (n-1)-gram by one character: h_n(p) = h_{n-1}(p) · P + c_{p+n-1}
        h[:, : L - n + 1] = h[:, : L - n + 1] * P + codes[:, n - 1:]
        whole[length == n] = h[length == n, 0]
        if n < lo:
            continue
        # every n-gram that fits inside its word: positions p with p + n <= length
        p = np.arange(L - n + 1)
        w_idx, p_idx = np.nonzero((p[None, :] + n <= length[:, None]) & ~done[:, None])   # (W, L-n+1) mask
        rows.append(w_idx)
        hashes.append(h[w_idx, p_idx])
        if n == lo:
            # a word shorter than the shortest n-gram counts once as a whole
            shorter = np.flatnonzero(length < n)
            rows.append(shorter)
            hashes.append(whole[shorter])
        done |= length <= n                             # a word as short as n has been counted whole
    return np.concatenate(rows), fmix64(np.concatenate(hashes))


class HashingNgramVectorizer(TransformerMixin, BaseEstimator):
    """Texts -> sparse rows of hashed character n-gram counts (scikit-learn transformer API).

    n_features: columns to hash into.
    ngram_range: (lo, hi), the n-gram lengths counted, padding spaces included.
    norm: "l2" scales each row to unit length, None keeps raw counts.
    sublinear_tf: count c becomes 1 + log(c) (a repeated n-gram adds less each time).
    use_idf: weight column j by idf_j = ln((1 + n) / (1 + df_j)) + 1, df_j the number of training texts
        using it (scikit-learn's smoothed idf, Spärck Jones 1972): n-grams every word has ("e", " ")
        count for less than rare, telling ones. Only then does fit learn something (idf_).

    A text of several words is the sum of its words' counts. Without idf it is stateless.
    """

    def __init__(self, n_features: int = 2**12, ngram_range: tuple[int, int] = (1, 3), norm: str | None = "l2",
                 sublinear_tf: bool = False, use_idf: bool = False):
        self.n_features = n_features
        self.ngram_range = ngram_range
        self.norm = norm
        self.sublinear_tf = sublinear_tf
        self.use_idf = use_idf

    def fit(self, X, y=None):
        self._check_params()
        if self.use_idf:
            counts = self._counts(X)
            n = counts.shape[0]
            df = np.bincount(counts.indices, minlength=self.n_features)                 # texts per column
            # idf_j = ln((1 + n) / (1 + df_j)) + 1
            self.idf_ = np.log((1.0 + n) / (1.0 + df)) + 1.0
        return self

    def _check_params(self):
        lo, hi = self.ngram_range
        if not 1 <= lo <= hi:
            raise ValueError(f"ngram_range must be (lo, hi) with 1 <= lo <= hi, got {self.ngram_range!r}")
        if self.norm not in ("l2", None):
            raise ValueError(f"norm must be 'l2' or None, got {self.norm!r}")

    def transform(self, X) -> sp.csr_matrix:
        self._check_params()
        M = self._counts(X)
        if self.sublinear_tf:
            M.data = 1.0 + np.log(M.data)
        if self.use_idf:
            if not hasattr(self, "idf_"):
                raise NotFittedError("use_idf=True needs fit (or fit_transform) on training texts first")
            M = sp.csr_matrix(M @ sp.diags(self.idf_))
        if self.norm == "l2":
            # x <- x / ‖x‖₂ (empty rows stay zero)
            norms = np.sqrt(np.asarray(M.multiply(M).sum(axis=1)).ravel())
            M = sp.csr_matrix(sp.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ M)
        return M

    def _counts(self, X) -> sp.csr_matrix:
        """Raw n-gram counts, one row per text: (texts, n_features)."""
        if isinstance(X, str):
            raise ValueError("expected a list of texts, got one string; wrap it in a list")
        texts = list(X)
        words, doc = [], []
        for i, text in enumerate(texts):
            for w in text.split():
                words.append(w)
                doc.append(i)
        doc = np.asarray(doc, dtype=np.int64)
        if words:
            word_of, hashes = ngram_hashes(words, tuple(self.ngram_range))
        else:
            word_of, hashes = np.zeros(0, np.int64), np.zeros(0, np.uint64)
        cols = (hashes % np.uint64(self.n_features)).astype(np.int64)
        # duplicates (same text, same column) are summed into counts
        M = sp.csr_matrix((np.ones(len(cols)), (doc[word_of], cols)), shape=(len(texts), self.n_features))
        M.sum_duplicates()
        return M

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = bool(self.use_idf)
        return tags
