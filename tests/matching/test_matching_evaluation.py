"""Tests of the ranking metrics."""

import numpy as np
import pytest

from matching.evaluation import ndcg_at_k, recall_at_k


def test_perfect_and_worst_rankings():
    rel = np.array([[2.0, 1.0, 0.0, 0.0]])
    assert ndcg_at_k([[0, 1, 2, 3]], rel, k=2) == pytest.approx(1.0)
    assert ndcg_at_k([[2, 3, 0, 1]], rel, k=2) == 0.0
    assert recall_at_k([[0, 1]], rel, k=2) == 1.0
    assert recall_at_k([[1, 2]], rel, k=2) == 0.5


def test_ndcg_known_value():
    rel = np.array([[0.0, 2.0, 1.0]])
    dcg = 1 / np.log2(2) * 0 + 2 / np.log2(3) + 1 / np.log2(4)
    idcg = 2 / np.log2(2) + 1 / np.log2(3)
    assert ndcg_at_k([[0, 1, 2]], rel, k=3) == pytest.approx(dcg / idcg)


def test_padding_and_queries_without_relevant():
    rel = np.array([[1.0, 0.0], [0.0, 0.0]])
    assert ndcg_at_k([[-1, 0], [0, 1]], rel, k=2) == pytest.approx(1 / np.log2(3))
    assert np.isnan(recall_at_k([[0]], np.zeros((1, 2)), k=1))
    with pytest.raises(ValueError):
        ndcg_at_k([[0]], rel, k=0)
