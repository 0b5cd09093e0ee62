"""Structured profile fields: encoding for agreement between two sides.

Every criterion field (``sectors``, ``target_groups``, ``region``, ``level``,
``facet``) is a set of values (single-valued fields: a set of one). Each
field gets a block of columns in a dense matrix whose rows are normalised so
that the dot product of two rows within a block is the Ochiai overlap
``|A ∩ B| / sqrt(|A| |B|)``: 1 for equal sets (or equal single values), 0 for
disjoint ones. Values seen in ``fit`` get their own column; values first met
later share a few hashed columns per field (rare collisions only between
such unseen values). ``organisation`` is a hard constraint, not a criterion:
it becomes a 63-bit hash code (-1 when missing).
"""

import hashlib
import logging
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)

__all__ = ["FIELDS", "FieldEncoder", "ProfileFeatures", "equal_codes", "value_key"]

#: Criterion fields, in column-block order.
FIELDS = ("sectors", "target_groups", "region", "level", "facet")
_MULTI = ("sectors", "target_groups")
_UNSEEN_BUCKETS = 8


def value_key(value):
    """Canonical form of a field value: stripped, case-folded string, or None.

    Parameters
    ----------
    value : object
        A field value (str, int, ...), possibly None or empty.

    Returns
    -------
    str or None
    """
    if value is None:
        return None
    key = " ".join(str(value).split()).casefold()
    return key or None


def field_values(raw):
    """A field value (scalar or list) as a set of canonical keys.

    Parameters
    ----------
    raw : object
        None, a scalar, or an iterable of scalars.

    Returns
    -------
    set of str
    """
    if raw is None:
        return set()
    if isinstance(raw, (str, bytes, int, float)):
        raw = [raw]
    return {k for k in (value_key(v) for v in raw) if k is not None}


def _hash63(key):
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") & 0x7FFF_FFFF_FFFF_FFFF


@dataclass
class ProfileFeatures:
    """Precomputed representation of a list of profiles (see ``SimilarityModel.transform``).

    Treat it as opaque: produce it with ``SimilarityModel.transform`` and pass
    it to ``score_features`` / ``top_k_features``. ``len()`` gives the number
    of profiles and ``take(indices)`` selects a subset (e.g. one query
    profile out of a precomputed side).

    Attributes
    ----------
    vectors : ndarray of shape (n, n_text + n_field_columns) float32, or sparse CSR
        L2-normalised text vector followed by the Ochiai-normalised field
        blocks (one per criterion field).
    n_text : int
        Number of text columns.
    known : ndarray of shape (n, 5), float32
        1 where the criterion field is given (order of ``FIELDS``).
    organisation : ndarray of shape (n,), int64
        Hash code of the organisation, -1 when missing.
    sketch : ndarray of shape (n, d + n_field_columns) float32, or None
        A dense LSA sketch of the text (``d`` columns, L2-normalised) followed by the
        same field blocks: used only to shortlist candidates among many, which are then
        re-ranked on ``vectors``. None when the model keeps no sketch.
    """

    vectors: object
    n_text: int
    known: np.ndarray
    organisation: np.ndarray
    sketch: object = None

    def __len__(self):
        return self.vectors.shape[0]

    def take(self, indices):
        """Return the features of the profiles at ``indices``.

        Parameters
        ----------
        indices : array-like of int or slice
            Which profiles to keep, in order.

        Returns
        -------
        ProfileFeatures
        """
        if isinstance(indices, slice):
            idx = indices
        else:
            idx = np.atleast_1d(np.asarray(indices, dtype=np.intp))
        return ProfileFeatures(
            vectors=self.vectors[idx],
            n_text=self.n_text,
            known=self.known[idx],
            organisation=self.organisation[idx],
            sketch=None if self.sketch is None else self.sketch[idx],
        )

    def sketch_features(self, n_sketch):
        """The sketch as features of their own (``n_sketch`` text columns), or None."""
        if self.sketch is None:
            return None
        return ProfileFeatures(self.sketch, n_sketch, self.known, self.organisation)


class FieldEncoder:
    """Encode the structured fields of profiles (see the module docstring)."""

    def fit(self, profiles):
        """Learn the values of each criterion field.

        Parameters
        ----------
        profiles : list of dict
            Profiles.

        Returns
        -------
        self : FieldEncoder
        """
        self.vocabulary_ = {}
        self.blocks_ = {}
        start = 0
        for field in FIELDS:
            values = set()
            for p in profiles:
                values |= field_values(p.get(field))
            self.vocabulary_[field] = {v: i for i, v in enumerate(sorted(values))}
            width = len(values) + _UNSEEN_BUCKETS
            self.blocks_[field] = (start, start + width)
            start += width
        self.n_columns_ = start
        return self

    def transform(self, profiles):
        """Encode profiles' structured fields.

        Parameters
        ----------
        profiles : list of dict
            Profiles.

        Returns
        -------
        fields : ndarray of shape (n, n_columns_), float32
        known : ndarray of shape (n, 5), float32
        organisation : ndarray of shape (n,), int64
        """
        n = len(profiles)
        fields = np.zeros((n, self.n_columns_), dtype=np.float32)
        known = np.zeros((n, len(FIELDS)), dtype=np.float32)
        organisation = np.full(n, -1, dtype=np.int64)
        for i, p in enumerate(profiles):
            for j, field in enumerate(FIELDS):
                raw = p.get(field)
                if field not in _MULTI and isinstance(raw, (list, tuple, set)):
                    raw = next(iter(raw), None)
                values = field_values(raw)
                if not values:
                    continue
                vocab = self.vocabulary_[field]
                start, _ = self.blocks_[field]
                cols = {
                    start + vocab[v] if v in vocab
                    else start + len(vocab) + _hash63(v) % _UNSEEN_BUCKETS
                    for v in values
                }
                fields[i, list(cols)] = 1.0 / np.sqrt(len(cols))
                known[i, j] = 1.0
            key = value_key(p.get("organisation"))
            if key is not None:
                organisation[i] = _hash63(key)
        return fields, known, organisation


def equal_codes(a, b):
    """Equality of hash codes, False where either is missing.

    Parameters
    ----------
    a, b : ndarray of int64
        Codes of the two sides (-1 = missing).

    Returns
    -------
    ndarray of bool, shape (len(a), len(b))
    """
    return (a[:, None] == b[None, :]) & (a[:, None] >= 0)
