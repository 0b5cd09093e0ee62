"""The review page with many pairs: one shared list of pairs to swap with, not one per row."""
from __future__ import annotations

from sqlalchemy import select

from spread.extensions import db
from spread.models import Pair


def _round_with_pairs(create_user, create_round, create_profile, enrol, create_pair, count):
    coordinator = create_user(role="coordinator")
    round_ = create_round("pairing", coordinator=coordinator)
    made = []
    for _ in range(count):
        taker, giver = create_profile(side="taker"), create_profile(side="giver")
        enrol(round_, taker, giver)
        made.append(create_pair(round_, taker, giver))
    return coordinator, round_, made


def test_many_pairs_share_one_list_and_swap_by_number(login_en, create_user, create_round,
                                                      create_profile, enrol, create_pair):
    coordinator, round_, made = _round_with_pairs(create_user, create_round, create_profile,
                                                  enrol, create_pair, 31)
    client = login_en(coordinator)
    page = client.get(f"/rounds/{round_.id}/pairs").get_data(as_text=True)
    assert page.count("<datalist") == 1
    assert page.count('list="swap-choices"') == 31
    shared = page[page.index("<datalist"):page.index("</datalist>")]
    assert shared.count("<option value=") == 31  # each pair once, in the shared list
    first, second = made[0], made[1]
    response = client.post(f"/pairs/{first.id}/swap",
                           data={"version": first.version, "other_pair_id": str(second.id)})
    assert response.status_code == 302
    db.session.expire_all()
    proposed = set(db.session.execute(select(Pair.taker_id, Pair.giver_id).where(
        Pair.round_id == round_.id, Pair.source == "swap")).tuples())
    assert proposed == {(first.taker_id, second.giver_id), (second.taker_id, first.giver_id)}


def test_few_pairs_keep_a_choice_per_row(login_en, create_user, create_round, create_profile,
                                         enrol, create_pair):
    coordinator, round_, _ = _round_with_pairs(create_user, create_round, create_profile, enrol,
                                               create_pair, 3)
    page = login_en(coordinator).get(f"/rounds/{round_.id}/pairs").get_data(as_text=True)
    assert "<datalist" not in page
    assert page.count("<select id=\"swap-") == 3


def test_danish_hint_for_many_pairs(login, create_user, create_round, create_profile, enrol,
                                    create_pair):
    coordinator, round_, _ = _round_with_pairs(create_user, create_round, create_profile, enrol,
                                               create_pair, 31)
    page = login(coordinator).get(f"/rounds/{round_.id}/pairs",
                                  headers={"Accept-Language": "da"}).get_data(as_text=True)
    assert "Skriv det andet pars nummer" in page
