"""Language tools: stop words, filler words, language detection and Snowball stemming.

Stop words come from maintained lists (Danish: the ``stop-words`` package, English:
scikit-learn's list), both shipped with the installed packages; stemming uses the
Snowball stemmers of ``snowballstemmer``. Nothing is downloaded at run time.
"""

import logging
import re

import snowballstemmer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from stop_words import get_stop_words

logger = logging.getLogger(__name__)

__all__ = ["FILLER_WORDS", "LANGUAGES", "STOP_WORDS", "detect_language", "language_of", "stemmer"]

#: Languages with their own stemmer and stop words.
LANGUAGES = ("da", "en")

_STOP = {
    "da": frozenset(get_stop_words("danish")),
    "en": frozenset(ENGLISH_STOP_WORDS),
}

# Words that say nothing about what a profile is about in this domain: every public
# organisation is a "kommune", everybody would "gerne" share, and counts of days/years
# or abbreviations such as "ca" and "pr" are not a reason to match.
_FILLER = """
kommune kommunen kommuner kommunens kommunerne gerne ca pr tiden tid gang gange bor ser
ren met får fået gør gjort hvert hver hvilket mens mellem år året årene dag dage dagen
måned måneder uge uger først sidst samt bl mv fx dvs osv inkl etc eg ie bla via
ønsker ønske oplever opleve arbejder arbejde brug bruge bruger behov mulighed muligheder
one two three four five six seven eight nine ten first second day days year years week weeks
month months time times per approx etc municipality municipalities would like want get
new based use used using uses also
"""

#: Domain filler words: never a reason, never a feature.
FILLER_WORDS = frozenset(_FILLER.split())

#: Stop words of both languages plus the filler words (texts mix languages).
STOP_WORDS = _STOP["da"] | _STOP["en"] | FILLER_WORDS

_WORD_RE = re.compile(r"[^\W\d_]+", re.UNICODE)
_STEMMERS = {"da": "danish", "en": "english"}


def language_of(value):
    """A profile's ``language`` value as "da", "en" or None (unknown or not given)."""
    if value is None:
        return None
    key = str(value).strip().lower()[:2]
    return key if key in LANGUAGES else None


def detect_language(tokens):
    """Guess "da" or "en" from the share of each language's stop words, None when neither.

    Parameters
    ----------
    tokens : list of str
        Lower-case word tokens.

    Returns
    -------
    str or None
    """
    if not tokens:
        return None
    counts = {lang: sum(t in _STOP[lang] for t in tokens) for lang in LANGUAGES}
    best = max(LANGUAGES, key=lambda lang: counts[lang])
    # A third language shares a few short words with both lists by chance.
    if counts[best] < max(1, 0.05 * len(tokens)) or counts["da"] == counts["en"]:
        return None
    return best


def stemmer(language):
    """A Snowball stemmer's ``stemWord`` for "da"/"en"; for None the word is kept as is."""
    if language not in _STEMMERS:
        return _identity
    return snowballstemmer.stemmer(_STEMMERS[language]).stemWord


def _identity(word):
    return word
