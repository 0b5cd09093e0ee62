"""Text analysis for Danish and English profile text.

A Unicode-aware tokenizer; stop words, filler words and Snowball stemmers from
:mod:`matching.language` (chosen per text by its language, detected when not given);
and, for Danish only, a compound splitter that breaks words such as "ældrepleje" into
parts ("ældre", "pleje") that occur on their own in the fitted vocabulary.

A document is a text, or a ``(text, language)`` pair with language "da", "en" or None.
"""

import logging
import re
import unicodedata
from collections import Counter, namedtuple

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from .language import STOP_WORDS, detect_language, language_of, stemmer

logger = logging.getLogger(__name__)

__all__ = [
    "STOP_WORDS",
    "CharNgramVectorizer",
    "TextTerms",
    "WordAnalyzer",
    "char_wb_ngrams",
    "normalise",
    "split_document",
    "tokenize",
]

_TOKEN_RE = re.compile(r"[^\W\d_]+", re.UNICODE)
#: Longer "words" (run-together garbage, URLs without separators) are not analysed.
MAX_WORD = 40

#: The analysed terms of one text: ``words`` maps each stem of a whole word to the word
#: as written (last occurrence); ``parts`` holds the stems of Danish compound parts.
TextTerms = namedtuple("TextTerms", ["words", "parts"])


def normalise(text):
    """Normalise text for analysis: NFKC, lower case, collapse whitespace.

    Parameters
    ----------
    text : str or None
        Raw text.

    Returns
    -------
    str
        The normalised text ("" for None).
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", str(text)).lower()
    return " ".join(text.split())


def tokenize(text):
    """Split normalised text into word tokens (letters only).

    Parameters
    ----------
    text : str
        Text, ideally already passed through :func:`normalise`.

    Returns
    -------
    list of str
        The word tokens, in order.
    """
    return _TOKEN_RE.findall(text)


def split_document(doc):
    """Tokens and language of a document (a text or a ``(text, language)`` pair).

    The language is detected from the tokens when not given (None when unclear).

    Returns
    -------
    tokens : list of str
    language : str or None
    """
    text, language = doc if isinstance(doc, tuple) else (doc, None)
    tokens = tokenize(normalise(text))
    language = language_of(language) or detect_language(tokens)
    return tokens, language


class WordAnalyzer:
    """Callable word analyzer for ``TfidfVectorizer``: Snowball stems per language.

    Turns a document (a text or ``(text, language)``) into the stems of its content
    words, using the stemmer of the document's language (detected when not given; no
    stemming when unclear). In Danish (or unclear) text a compound of two (or three) words known from
    the fitted vocabulary also yields the stems of its parts, so "ældrepleje" yields
    "ældrepl", "ældr", "plej".

    Parameters
    ----------
    known_stems : set of str, optional
        Danish stems that may be used as compound parts (typically every Danish stem
        seen when fitting). Empty means no compound splitting.
    min_part : int, default=3
        Minimal length (letters) of a compound part.
    min_compound : int, default=7
        Minimal length of a word before splitting is attempted.
    """

    #: Texts whose analysed terms are kept (see :meth:`stem_surfaces`).
    stem_surface_cache_size = 100_000

    def __init__(self, known_stems=None, min_part=3, min_compound=7):
        self.known_stems = frozenset(known_stems or ())
        self.min_part = min_part
        self.min_compound = min_compound
        self.__setstate__({})

    def __getstate__(self):
        return {k: self.__dict__[k] for k in ("known_stems", "min_part", "min_compound")}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._cache = {}
        self._stem_surface_cache = {}
        self._stemmers = {}

    def stem(self, word, language):
        """The Snowball stem of ``word`` in ``language`` ("da", "en"; None: unchanged)."""
        stem_word = self._stemmers.get(language)
        if stem_word is None:
            stem_word = self._stemmers[language] = stemmer(language)
        return stem_word(word)

    def __call__(self, doc):
        """Analyse a document into a list of stems (with Danish compound parts)."""
        tokens, language = split_document(doc)
        out = []
        for token in tokens:
            out.extend(stem for stem, _, _ in self.analyse_word(token, language))
        return out

    def analyse_word(self, word, language=None):
        """``(stem, surface, whole)`` triples of one lower-case word: itself, then its parts.

        Parameters
        ----------
        word : str
            A lower-case token.
        language : {"da", "en", None}
            Its text's language; compounds are split in Danish only.

        Returns
        -------
        list of (str, str, bool)
            Empty for stop words, filler words, single letters and over-long tokens.
        """
        key = (word, language)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if word in STOP_WORDS or len(word) < 2 or len(word) > MAX_WORD:
            result = []
        else:
            result = [(self.stem(word, language), word, True)]
            if language != "en":  # Danish, or unclear (a word or two)
                result.extend((s, w, False) for s, w in self.split_compound_surface(word))
        if len(self._cache) < 500_000:
            self._cache[key] = result
        return result

    def split_compound(self, word, depth=2):
        """Stems of the known parts of a Danish ``word`` (empty if no split was found)."""
        return [stem for stem, _ in self.split_compound_surface(word, depth)]

    def split_compound_surface(self, word, depth=2):
        """Split a Danish ``word`` into parts whose stems are known.

        Parameters
        ----------
        word : str
            A lower-case word.
        depth : int, default=2
            How many times the right-hand part may be split again.

        Returns
        -------
        list of (str, str)
            ``(stem, surface)`` per part, e.g. ``[("ældr", "ældre"), ("plej", "pleje")]``.
        """
        known = self.known_stems
        if not known or not self.min_compound <= len(word) <= MAX_WORD or depth <= 0:
            return []
        best, best_len = None, 0
        mp = self.min_part
        for i in range(mp, len(word) - mp + 1):
            left, right = word[:i], word[i:]
            right_stem = self.stem(right, "da")
            right_parts = [(right_stem, right)] if right_stem in known else None
            if right_parts is None and len(right) >= self.min_compound:
                right_parts = self.split_compound_surface(right, depth - 1) or None
            if right_parts is None:
                continue
            for cand in _left_variants(left, mp):
                left_stem = self.stem(cand, "da")
                if left_stem in known:
                    score = min(len(cand), len(right))
                    if score > best_len:
                        best, best_len = [(left_stem, cand), *right_parts], score
                    break
        return best or []

    def analyse_with_surface(self, doc):
        """Analyse a document into ``(stem, surface, whole)`` triples, compound parts included.

        ``whole`` is False for a compound part (its surface is then a piece of a word).
        """
        tokens, language = split_document(doc)
        out = []
        for token in tokens:
            out.extend(self.analyse_word(token, language))
        return out

    def stem_surfaces(self, doc):
        """The :class:`TextTerms` of a document, cached per document.

        Explanations compare the same profiles again and again. Do not modify the result.
        """
        cache = self._stem_surface_cache
        found = cache.get(doc)
        if found is None:
            words, parts = {}, set()
            for stem, surface, whole in self.analyse_with_surface(doc):
                if whole:
                    words[stem] = surface
                else:
                    parts.add(stem)
            found = TextTerms(words, frozenset(parts))
            if len(cache) >= self.stem_surface_cache_size:
                cache.clear()
            cache[doc] = found
        return found


def _left_variants(left, min_part):
    """The left part as is, and without a Danish linking letter (s/e)."""
    yield left
    if len(left) > min_part and left[-1] in "se":
        yield left[:-1]


def most_common_surface(surfaces):
    """Map each stem to its most frequent surface form.

    Parameters
    ----------
    surfaces : dict of str to collections.Counter
        Surface-form counts per stem.

    Returns
    -------
    dict of str to str
    """
    return {stem: counts.most_common(1)[0][0] for stem, counts in surfaces.items() if counts}


def collect_stems(docs, min_part=3):
    """Count stems over documents and record surface forms.

    Parameters
    ----------
    docs : iterable of str or (str, language)
        Raw texts, optionally with their language.
    min_part : int, default=3
        Stems shorter than this are not returned as known compound parts.

    Returns
    -------
    known : set of str
        Stems of Danish (or unclear) texts that may serve as compound parts.
    surfaces : dict of str to collections.Counter
        Surface forms seen per stem (both languages).
    """
    analyzer = WordAnalyzer()
    surfaces, known = {}, set()
    for doc in docs:
        tokens, language = split_document(doc)
        for token in set(tokens):
            for stem, word, _ in analyzer.analyse_word(token, language):
                surfaces.setdefault(stem, Counter())[word] += 1
                if language != "en" and len(stem) >= min_part:
                    known.add(stem)
    return known, surfaces


def char_wb_ngrams(word, min_n, max_n):
    """Character n-grams of one word padded with spaces (as sklearn's ``char_wb``).

    Parameters
    ----------
    word : str
        A whitespace-free token.
    min_n, max_n : int
        Smallest and largest n-gram size.

    Returns
    -------
    list of str
        The n-grams of ``" " + word + " "``; a padded word shorter than
        ``n`` is itself counted once (and larger sizes are skipped).
    """
    padded = f" {word} "
    size = len(padded)
    out = []
    for n in range(min_n, max_n + 1):
        if size <= n:
            out.append(padded)
            break
        out.extend(padded[i:i + n] for i in range(size - n + 1))
    return out


class CharNgramVectorizer:
    """TF-IDF of character n-grams within word boundaries, computed per distinct word.

    Gives the same vectors as ``TfidfVectorizer(analyzer="char_wb",
    preprocessor=normalise, sublinear_tf=True)`` (smoothed IDF, L2 rows), but
    the n-grams of each distinct word are generated once and cached: a batch
    of texts becomes a sparse (documents × words) count matrix times a
    (words × n-grams) matrix. Transforming many texts that share a vocabulary
    is therefore several times faster than the sklearn vectorizer.

    Parameters
    ----------
    ngram_range : tuple of int, default=(3, 5)
        Smallest and largest n-gram size.
    max_features : int or None, default=None
        Keep only the n-grams with the highest total count in the fitted
        texts (ties broken alphabetically).
    sublinear_tf : bool, default=True
        Use ``1 + log(tf)`` instead of the raw count.
    dtype : numpy dtype, default=numpy.float32
        Type of the returned matrix.
    cache_size : int, default=500000
        At most this many words keep their n-gram ids cached between calls.

    Attributes
    ----------
    vocabulary_ : dict of str to int
        Column of each kept n-gram (columns in alphabetical order).
    idf_ : ndarray of shape (n_features,)
        Smoothed inverse document frequency, ``ln((1 + n) / (1 + df)) + 1``.
    """

    def __init__(self, ngram_range=(3, 5), max_features=None, sublinear_tf=True,
                 dtype=np.float32, cache_size=500_000):
        self.ngram_range = ngram_range
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.dtype = dtype
        self.cache_size = cache_size
        self._cache = {}

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_cache"] = {}
        return state

    @staticmethod
    def _word_counts(texts):
        """Documents × distinct words count matrix and the words in column order."""
        index, indices, indptr = {}, [], [0]
        for text in texts:
            for token in normalise(text).split():
                j = index.get(token)
                if j is None:
                    j = index[token] = len(index)
                indices.append(j)
            indptr.append(len(indices))
        counts = sp.csr_matrix(
            (np.ones(len(indices), dtype=np.float64), np.asarray(indices, dtype=np.int64),
             np.asarray(indptr, dtype=np.int64)),
            shape=(len(indptr) - 1, len(index)),
        )
        counts.sum_duplicates()
        return counts, list(index)

    def _weight(self, counts):
        """Sublinear tf, idf, L2 rows (``counts`` is modified)."""
        if self.sublinear_tf:
            np.log(counts.data, out=counts.data)
            counts.data += 1.0
        counts.data *= self.idf_[counts.indices]
        if counts.shape[1]:  # no n-grams at all when no text was fitted
            counts = normalize(counts, copy=False)
        return counts.astype(self.dtype, copy=False)

    def fit_transform(self, texts):
        """Learn the n-gram vocabulary and IDF; return the TF-IDF matrix.

        Parameters
        ----------
        texts : list of str
            Raw texts.

        Returns
        -------
        scipy.sparse.csr_matrix of shape (len(texts), n_features)
        """
        min_n, max_n = self.ngram_range
        doc_words, words = self._word_counts(texts)
        grams, indices, indptr = {}, [], [0]
        for word in words:
            for gram in char_wb_ngrams(word, min_n, max_n):
                j = grams.get(gram)
                if j is None:
                    j = grams[gram] = len(grams)
                indices.append(j)
            indptr.append(len(indices))
        word_grams = sp.csr_matrix(
            (np.ones(len(indices)), np.asarray(indices, dtype=np.int64),
             np.asarray(indptr, dtype=np.int64)),
            shape=(len(words), len(grams)),
        )
        word_grams.sum_duplicates()
        counts = (doc_words @ word_grams).tocsr()
        names = np.array(list(grams), dtype=object)
        keep = np.argsort(names, kind="stable")
        if self.max_features is not None and len(keep) > self.max_features:
            total = np.asarray(counts.sum(axis=0)).ravel()
            order = np.lexsort((names, -total))[: self.max_features]
            keep = order[np.argsort(names[order], kind="stable")]
        counts = counts[:, keep].tocsr()
        counts.sort_indices()
        self.vocabulary_ = {str(g): i for i, g in enumerate(names[keep])}
        n = counts.shape[0]
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        self.idf_ = np.log((1.0 + n) / (1.0 + df)) + 1.0
        self._cache = {}
        return self._weight(counts)

    def fit(self, texts):
        """Learn the n-gram vocabulary and IDF.

        Parameters
        ----------
        texts : list of str
            Raw texts.

        Returns
        -------
        self : CharNgramVectorizer
        """
        self.fit_transform(texts)
        return self

    def _gram_ids(self, word):
        ids = self._cache.get(word)
        if ids is None:
            vocab = self.vocabulary_
            min_n, max_n = self.ngram_range
            found = [vocab[g] for g in char_wb_ngrams(word, min_n, max_n) if g in vocab]
            ids = np.asarray(found, dtype=np.int64)
            if len(self._cache) < self.cache_size:
                self._cache[word] = ids
        return ids

    def transform(self, texts):
        """TF-IDF vectors of texts (n-grams unseen in fit are ignored).

        Parameters
        ----------
        texts : list of str
            Raw texts.

        Returns
        -------
        scipy.sparse.csr_matrix of shape (len(texts), n_features)
        """
        doc_words, words = self._word_counts(texts)
        ids = [self._gram_ids(w) for w in words]
        lengths = np.fromiter((len(a) for a in ids), dtype=np.int64, count=len(ids))
        indptr = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        indices = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
        word_grams = sp.csr_matrix(
            (np.ones(len(indices)), indices, indptr),
            shape=(len(words), len(self.vocabulary_)),
        )
        word_grams.sum_duplicates()
        counts = (doc_words @ word_grams).tocsr()
        counts.sort_indices()
        return self._weight(counts)
