"""Input checks shared by the pairing functions."""

import numpy as np
import scipy.sparse as sp


def check_inputs(S, capacities, allowed):
    """Validate and convert pairing inputs.

    Parameters
    ----------
    S : array-like of shape (n_takers, n_givers)
        Scores, finite.
    capacities : array-like of int, shape (n_givers,)
        Non-negative capacity per giver.
    allowed : array-like of bool or sparse matrix, shape like S, or None
        Pairs that may be made (None: all).

    Returns
    -------
    S : ndarray of float64
    capacities : ndarray of int64
    allowed : ndarray of bool
    """
    S = np.asarray(S, dtype=np.float64)
    if S.ndim != 2:
        raise ValueError(f"S must be 2-D, got shape {S.shape}")
    if not np.all(np.isfinite(S)):
        raise ValueError("S must be finite; express forbidden pairs with `allowed`")
    n_t, n_g = S.shape
    capacities = np.asarray(capacities)
    if capacities.shape != (n_g,):
        raise ValueError(f"capacities must have shape ({n_g},), got {capacities.shape}")
    if not np.all(capacities == np.round(capacities)) or np.any(capacities < 0):
        raise ValueError("capacities must be non-negative integers")
    capacities = capacities.astype(np.int64)
    if allowed is None:
        allowed = np.ones((n_t, n_g), dtype=bool)
    elif sp.issparse(allowed):
        allowed = allowed.toarray().astype(bool)
    else:
        allowed = np.asarray(allowed, dtype=bool)
    if allowed.shape != S.shape:
        raise ValueError(f"allowed must have shape {S.shape}, got {allowed.shape}")
    return S, capacities, allowed
