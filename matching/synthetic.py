"""Seeded generator of realistic-looking giver/taker profiles (for benchmarks)."""

import logging

import numpy as np

logger = logging.getLogger(__name__)

__all__ = ["make_profiles"]

# Per theme: Danish and English content words, compounds included.
_THEMES = {
    "eldercare": (
        ("ældrepleje hjemmehjælp plejehjem rehabilitering velfærdsteknologi demens "
        "hjemmepleje ældre borgere træning hverdagsrehabilitering sygeplejerske"),
        ("elderly care home care nursing homes rehabilitation welfare technology dementia "
        "older citizens training reablement nurses"),
    ),
    "health": (
        ("sundhed forebyggelse patienter hospital telemedicin sundhedsplejerske "
        "genoptræning kronikere medicinhåndtering praktiserende læger"),
        ("health prevention patients hospital telemedicine health visitors "
        "physiotherapy chronic illness medication general practitioners"),
    ),
    "employment": (
        ("beskæftigelse jobcenter ledige virksomhedspraktik sygedagpenge "
        "uddannelseshjælp jobsøgning mentorordning arbejdsmarked"),
        ("employment job centre unemployed work placement sickness benefit "
        "job search mentoring labour market"),
    ),
    "education": (
        ("folkeskole elever lærere inklusion trivsel skoledag læsning "
        "undervisning dagtilbud pædagoger børnehave"),
        ("school pupils teachers inclusion wellbeing school day reading "
        "teaching day care educators kindergarten"),
    ),
    "environment": (
        ("klimatilpasning affaldssortering genanvendelse energirenovering "
        "spildevand grønne områder cirkulær økonomi"),
        ("climate adaptation waste sorting recycling energy renovation "
        "wastewater green spaces circular economy"),
    ),
    "digital": (
        ("digitalisering selvbetjening chatbot sagsbehandling automatisering "
        "data kunstig intelligens borgerservice"),
        ("digitalisation self service chatbot case handling automation "
        "data artificial intelligence citizen service"),
    ),
    "children": (
        ("udsatte børn familier forebyggelse socialrådgivere anbringelse "
        "tidlig indsats sundhedspleje forældre"),
        ("vulnerable children families prevention social workers foster care "
        "early intervention parents"),
    ),
}
_GENERIC = (
    ("vi har udviklet og implementeret en ny løsning som skaber værdi for borgerne "
    "medarbejderne oplever færre opgaver og bedre kvalitet projektet er forankret i ledelsen"),
    ("we developed and implemented a new solution that creates value for citizens "
    "staff experience less paperwork and better quality the project is anchored in management"),
)
_SECTORS = {
    "eldercare": ["social", "health"], "health": ["health"], "employment": ["employment"],
    "education": ["education"], "environment": ["environment"], "digital": ["digital"],
    "children": ["social", "education"],
}
_TARGETS = ["citizens", "elderly", "children", "families", "unemployed", "staff", "businesses"]
_REGIONS = ["Hovedstaden", "Sjælland", "Syddanmark", "Midtjylland", "Nordjylland"]
_LEVELS = ["municipality", "region", "state"]
_FACETS = ["enhancement-oriented", "adaptive", "mission-oriented", "anticipatory"]


def make_profiles(n, random_state=0, side=None, text_only=False):
    """Generate ``n`` profiles with a few hundred characters of Danish or English text.

    Parameters
    ----------
    n : int
        Number of profiles.
    random_state : int, default=0
        Seed.
    side : {"giver", "taker"} or None, default=None
        Stored as ``side``; None alternates.
    text_only : bool, default=False
        Only the ``text`` key.

    Returns
    -------
    list of dict
    """
    rng = np.random.default_rng(random_state)
    themes = list(_THEMES)
    vocab = {t: (d.split(), e.split()) for t, (d, e) in _THEMES.items()}
    generic = (_GENERIC[0].split(), _GENERIC[1].split())
    out = []
    for i in range(n):
        theme = themes[rng.integers(len(themes))]
        second = themes[rng.integers(len(themes))]
        lang = int(rng.random() < 0.4)  # 0 Danish, 1 English
        words = list(rng.choice(vocab[theme][lang], size=rng.integers(18, 30)))
        words += list(rng.choice(vocab[second][lang], size=rng.integers(3, 8)))
        words += list(rng.choice(generic[lang], size=rng.integers(12, 20)))
        rng.shuffle(words)
        text = " ".join(words).capitalize() + "."
        profile = {"text": text}
        if not text_only:
            profile.update(
                sectors=list(_SECTORS[theme]),
                target_groups=list(rng.choice(_TARGETS, size=rng.integers(1, 3), replace=False).tolist()),
                region=_REGIONS[rng.integers(len(_REGIONS))],
                level=_LEVELS[rng.integers(len(_LEVELS))] if rng.random() < 0.9 else None,
                facet=_FACETS[rng.integers(len(_FACETS))] if rng.random() < 0.7 else None,
                organisation=f"org-{rng.integers(max(1, n // 5))}",
                side=side or ("giver" if i % 2 else "taker"),
            )
        out.append(profile)
    return out
