"""Text analysis for Danish and English profile text.

Everything here is self-contained (no downloads, no NLTK data): a Unicode-aware
tokenizer, short Danish/English stop-word lists, a light suffix-stripping
stemmer that treats both languages alike, and a compound splitter that breaks
words such as "ældrepleje" into parts ("ældre", "pleje") that occur on their own
in the fitted vocabulary.
"""

import logging
import re
import unicodedata
from collections import Counter

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

logger = logging.getLogger(__name__)

__all__ = [
    "STOP_WORDS",
    "CharNgramVectorizer",
    "WordAnalyzer",
    "char_wb_ngrams",
    "light_stem",
    "normalise",
    "tokenize",
]

_TOKEN_RE = re.compile(r"[^\W\d_]+", re.UNICODE)

_DANISH_STOP = """
ad af aldrig alle alt anden andet andre at bare begge blev blive bliver da de dem den
denne der deres det dette dig din dine disse dit dog du efter eller en end er et for
fordi fra gennem god han har havde have hende hendes her hos hvad hvem hver hvilke
hvis hvor hvordan hvorfor i ikke ind ingen intet jeg jer jeres kan kom komme kunne
lige man mange med meget men mere mig min mine mit mod må ned noget nogle nu når og
også om op os over på sammen selv sig sin sine sit skal skulle som stor store så
til ud uden under var ved vi vil ville vor vores være været blandt bl mv fx dvs samt
hele både helt flere mest første nye ny nyt
"""

_ENGLISH_STOP = """
a about above after again against all also am an and any are as at be because been
before being below between both but by can could did do does doing down during each
few for from further had has have having he her here hers him his how i if in into is
it its itself just more most my no nor not now of off on once only or other our ours
out over own same she should so some such than that the their theirs them then there
these they this those through to too under until up very was we were what when where
which while who whom why will with would you your yours via within across use used
using new based well may many much etc eg ie
"""

#: Stop words of both languages, removed before stemming.
STOP_WORDS = frozenset((_DANISH_STOP + _ENGLISH_STOP).split())

# Longest first; one list for both languages (Danish inflection and English
# plural/verbal endings). Applied at most twice, never leaving < 3 letters.
_SUFFIXES = tuple(
    sorted(
        ["erendes", "erende", "hedens", "ethed", "erede", "heden", "heder", "endes", "ernes", "erens", "erets", "ered", "ende", "erne", "eren", "erer", "heds", "enes", "eres", "eret", "hed", "ene", "ere", "ens", "ers", "ets", "en", "er", "es", "et", "e", "s", "ations", "ation", "ings", "ing", "ies", "ied", "ed", "ly", "ments", "ment", "ness"],
        key=len,
        reverse=True,
    )
)
_MIN_STEM = 3
# After one of these (definite/genitive/plural endings) a second suffix may go:
# "rehabiliteringen" -> "rehabilitering" -> "rehabiliter".
_DEFINITE = frozenset(["en", "et", "ens", "ets", "es", "s", "ne", "ene", "enes", "erne", "ernes"])


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


def light_stem(word):
    """Strip common Danish and English inflectional suffixes.

    A deliberately light stemmer: one suffix is removed (two when the first
    is a definite/plural ending), and at least three letters are kept, so "plejen", "pleje" → "plej", "hjemmet",
    "hjemme" → "hjemm" and "services", "service" → "servic".

    Parameters
    ----------
    word : str
        A lower-case word.

    Returns
    -------
    str
        The stem.
    """
    for _ in range(2):
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
                word = word[: -len(suffix)]
                break
        else:
            break
        if suffix not in _DEFINITE:
            break
    return word


class WordAnalyzer:
    """Callable word analyzer with compound splitting, for ``TfidfVectorizer``.

    Turns a text into stems of its content words; a word that is a compound
    of two (or three) words known from the fitted vocabulary also yields the
    stems of its parts, so "ældrepleje" yields "ældrepl", "ældr", "plej".

    Parameters
    ----------
    known_stems : set of str, optional
        Stems that may be used as compound parts (typically every stem seen
        when fitting). Empty means no compound splitting.
    min_part : int, default=3
        Minimal length (letters) of a compound part.
    min_compound : int, default=7
        Minimal length of a word before splitting is attempted.
    """

    #: Texts whose stem -> surface maps are kept (see :meth:`stem_surfaces`).
    stem_surface_cache_size = 100_000

    def __init__(self, known_stems=None, min_part=3, min_compound=7):
        self.known_stems = frozenset(known_stems or ())
        self.min_part = min_part
        self.min_compound = min_compound
        self._cache = {}
        self._surface_cache = {}
        self._text_cache = {}
        self._stem_surface_cache = {}

    def __getstate__(self):
        state = self.__dict__.copy()
        state.update(_cache={}, _surface_cache={}, _text_cache={}, _stem_surface_cache={})
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__dict__.setdefault("_surface_cache", {})
        self.__dict__.setdefault("_text_cache", {})
        self.__dict__.setdefault("_stem_surface_cache", {})

    def __call__(self, text):
        """Analyse ``text`` into a list of stems (with compound parts)."""
        out = []
        for token in tokenize(normalise(text)):
            out.extend(self.analyse_word(token))
        return out

    def analyse_word(self, word):
        """Return the stems for one lower-case word: its own stem and its parts.

        Parameters
        ----------
        word : str
            A lower-case token.

        Returns
        -------
        list of str
            Empty for stop words and single letters.
        """
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        if word in STOP_WORDS or len(word) < 2:
            result = []
        else:
            result = [light_stem(word)]
            result.extend(self.split_compound(word))
        if len(self._cache) < 500_000:
            self._cache[word] = result
        return result

    def split_compound(self, word, depth=2):
        """Split ``word`` into parts whose stems are known.

        Parameters
        ----------
        word : str
            A lower-case word.
        depth : int, default=2
            How many times the right-hand part may be split again.

        Returns
        -------
        list of str
            Stems of the parts, empty if no split was found.
        """
        return [stem for stem, _ in self.split_compound_surface(word, depth)]

    def split_compound_surface(self, word, depth=2):
        """Like :meth:`split_compound`, with each part's surface form.

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
        if not known or len(word) < self.min_compound or depth <= 0:
            return []
        best, best_len = None, 0
        mp = self.min_part
        for i in range(mp, len(word) - mp + 1):
            left, right = word[:i], word[i:]
            right_stem = light_stem(right)
            right_parts = [(right_stem, right)] if right_stem in known else None
            if right_parts is None and len(right) >= self.min_compound:
                right_parts = self.split_compound_surface(right, depth - 1) or None
            if right_parts is None:
                continue
            for cand in _left_variants(left, mp):
                left_stem = light_stem(cand)
                if left_stem in known:
                    score = min(len(cand), len(right))
                    if score > best_len:
                        best, best_len = [(left_stem, cand), *right_parts], score
                    break
        return best or []

    def analyse_with_surface(self, text):
        """Analyse ``text`` into ``(stem, surface)`` pairs, compound parts included.

        Parameters
        ----------
        text : str
            Raw text.

        Returns
        -------
        list of (str, str)
        """
        known = self._text_cache.get(text)
        if known is not None:
            return list(known)
        out = self._analyse_with_surface(text)
        if len(self._text_cache) >= 20_000:
            self._text_cache.clear()
        self._text_cache[text] = out  # explanations analyse the same profiles again and again
        return list(out)

    def _analyse_with_surface(self, text):
        out = []
        cache = self._surface_cache
        for token in tokenize(normalise(text)):
            pairs = cache.get(token)
            if pairs is None:
                pairs = []
                if token not in STOP_WORDS and len(token) >= 2:
                    pairs.append((light_stem(token), token))
                    pairs.extend(self.split_compound_surface(token))
                if len(cache) < 500_000:
                    cache[token] = pairs
            out.extend(pairs)
        return out

    def stem_surfaces(self, text):
        """Map each stem of ``text`` to its last surface form (compound parts included).

        The same as ``dict(self.analyse_with_surface(text))``, cached per text: explanations
        compare the same profiles again and again. Do not modify the returned dict.

        Parameters
        ----------
        text : str
            Raw text.

        Returns
        -------
        dict of str to str
        """
        cache = self._stem_surface_cache
        found = cache.get(text)
        if found is None:
            found = dict(self._analyse_with_surface(text))
            if len(cache) >= self.stem_surface_cache_size:
                cache.clear()
            cache[text] = found
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


def collect_stems(texts, min_part=3):
    """Count stems over texts (document frequency) and record surface forms.

    Parameters
    ----------
    texts : iterable of str
        Raw texts.
    min_part : int, default=3
        Stems shorter than this are not returned as known compound parts.

    Returns
    -------
    known : set of str
        Stems that may serve as compound parts.
    surfaces : dict of str to collections.Counter
        Surface forms seen per stem.
    """
    surfaces = {}
    for text in texts:
        for token in set(tokenize(normalise(text))):
            if token in STOP_WORDS or len(token) < 2:
                continue
            stem = light_stem(token)
            surfaces.setdefault(stem, Counter())[token] += 1
    known = {stem for stem in surfaces if len(stem) >= min_part}
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
