"""Pairing takers with givers under capacities and hard constraints."""

from .optimal import optimal_pairing
from .stable import stable_pairing

__all__ = ["optimal_pairing", "stable_pairing"]
