"""The seam between rows and ``matching``: constraints, the model store, one model for both paths."""
from __future__ import annotations

import io
from datetime import date, timedelta

import numpy as np
import pytest
from flask_migrate import upgrade
from sqlalchemy import event, func, select

from spread.extensions import db
from spread.matchmaking import store
from spread.matchmaking.constraints import allowed_matrix
from spread.matchmaking.engine import engine
from spread.matchmaking.labels import training_labels, trained_on
from spread.models import FittedModel, MatchModel, Pair, Profile
from spread.models.matching_state import profiles_version
from tests.conftest import make_test_app
from tests.databases import fresh_database
from tests.rounds_helpers import move, run_pairing


@pytest.fixture
def app(app):
    app.config["PAIRING_IN_BACKGROUND"] = False
    return app


# -- constraints --------------------------------------------------------------------------------

def _overlap(a_from, a_until, b_from, b_until) -> bool:
    start = max((d for d in (a_from, b_from) if d), default=None)
    end = min((d for d in (a_until, b_until) if d), default=None)
    return start is None or end is None or start <= end


def reference_allowed(takers, givers, ruled_out) -> np.ndarray:
    """The straightforward double loop the run used before."""
    allowed = np.zeros((len(takers), len(givers)), dtype=bool)
    for t, taker in enumerate(takers):
        for g, giver in enumerate(givers):
            allowed[t, g] = (taker.organisation_id != giver.organisation_id
                             and (taker.id, giver.id) not in ruled_out
                             and _overlap(taker.available_from, taker.available_until,
                                          giver.available_from, giver.available_until))
    return allowed


def random_profiles(rng, n, first_id, side):
    day0 = date(2027, 1, 1)

    def maybe_day():
        return None if rng.random() < 0.25 else day0 + timedelta(days=int(rng.integers(0, 200)))

    return [Profile(id=first_id + i, side=side, organisation_id=int(rng.integers(1, 6)),
                    available_from=maybe_day(), available_until=maybe_day()) for i in range(n)]


@pytest.mark.parametrize("seed", range(5))
def test_vectorised_constraints_equal_the_double_loop(seed):
    rng = np.random.default_rng(seed)
    takers = random_profiles(rng, int(rng.integers(0, 40)), 1, "taker")
    givers = random_profiles(rng, int(rng.integers(1, 30)), 1000, "giver")
    ruled_out = {(t.id, g.id) for t in takers for g in givers if rng.random() < 0.1}
    ruled_out |= {(99_999, givers[0].id)}  # a pair of profiles not in the run is ignored
    expected = reference_allowed(takers, givers, ruled_out)
    got = allowed_matrix(takers, givers, ruled_out)
    assert got.dtype == bool and got.shape == expected.shape
    assert np.array_equal(got, expected)
    if takers:
        assert 0 < expected.sum() < expected.size, "the random data exercises both outcomes"


# -- the model store ----------------------------------------------------------------------------

def test_migration_creates_model_version_1_with_the_library_defaults(tmp_path):
    with fresh_database(tmp_path, "store") as url:
        other = make_test_app(url)
        with other.app_context():
            upgrade()
            rows = db.session.scalars(select(MatchModel)).all()
            assert [(r.version, r.status, r.params, r.weights) for r in rows] == \
                [(1, "current", {}, None)]
            assert store.new_estimator(rows[0]).get_params() == \
                store.SimilarityModel().get_params()
            db.session.remove()
            db.engine.dispose()


def test_model_versions_are_rows_and_promotion_retires_the_old_one(app, create_user):
    admin = create_user(role="admin")
    first = store.current_model_row()
    candidate = store.add_model_version(weights={"sector_weight": 0.9}, created_by=admin,
                                        trained_on={"labels": 40}, evaluation={"auc": 0.8},
                                        note="learned")
    db.session.commit()
    assert (candidate.version, candidate.status) == (first.version + 1, "candidate")
    assert store.current_model_row().id == first.id
    before = profiles_version()
    store.promote(candidate)
    db.session.commit()
    statuses = dict(db.session.execute(select(MatchModel.version, MatchModel.status)).all())
    assert statuses == {first.version: "retired", candidate.version: "current"}
    assert profiles_version() == before + 1, "suggestions notice the new model"
    assert store.new_estimator(candidate).sector_weight == 0.9


def test_a_second_app_loads_the_stored_fit_instead_of_fitting(app, make_app, profiles_world):
    loaded = store.current_fitted_model()
    assert db.session.scalar(select(func.count()).select_from(FittedModel)) == 1
    texts = [{"text": "Hverdagsrehabilitering for ældre i eget hjem"}]
    other = make_app()
    with other.app_context():
        fits = []
        original = store.fit_current
        store.fit_current = lambda version: fits.append(version) or original(version)
        try:
            again = store.current_fitted_model()
        finally:
            store.fit_current = original
        assert fits == [], "the second app must load, not fit"
        assert (again.model_version, again.profiles_version) == \
            (loaded.model_version, loaded.profiles_version)
        assert again.model is not loaded.model
        np.testing.assert_array_equal(_dense(again.model.transform(texts).vectors),
                                      _dense(loaded.model.transform(texts).vectors))
        db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(FittedModel)) == 1


def _dense(vectors):
    return vectors.toarray() if hasattr(vectors, "toarray") else vectors


def test_suggestions_serve_the_stored_fit_while_a_newer_one_is_fitted(app, profiles_world,
                                                                     create_profile):
    first = engine().index()
    assert first.fitted_at == profiles_version()
    create_profile("giver", title="Ny giver")
    store_version = profiles_version()
    from spread.models.matching_state import bump_profiles_version
    bump_profiles_version()
    db.session.commit()
    second = engine().index()
    assert second.version == store_version + 1
    assert second.fitted_at == first.fitted_at, "the stored fit serves at once"
    engine().wait_for_refit(timeout=60)
    third = engine().index()
    assert third.fitted_at == store_version + 1, "then the new fit, stored by the background fit"
    assert db.session.scalar(select(func.count()).select_from(FittedModel)) == 2


@pytest.fixture
def profiles_world(create_profile, create_organisation, create_user):
    owner = create_user()
    a, b = create_organisation(), create_organisation()
    return [
        create_profile("taker", owner=owner, organisation=a, title="Ældrepleje",
                       description="Vi vil styrke pleje af ældre med træning i hjemmet."),
        create_profile("giver", owner=owner, organisation=b, title="Hverdagsrehabilitering",
                       description="Hverdagsrehabilitering og træning i eget hjem for ældre."),
        create_profile("giver", owner=owner, organisation=b, title="Regnvandsbede",
                       description="Klimatilpasning med regnvandsbede og skybrudssikring."),
    ]


# -- one model for suggestions and pairing; bulk writes -----------------------------------------

@pytest.fixture
def open_round(client, create_user, token_for, create_profile, create_organisation):
    coordinator = create_user(role="coordinator")
    headers = token_for(coordinator)
    round_id = client.post("/api/v1/rounds/", json={"name": "R", "min_fit": 0.0},
                           headers=headers).json["id"]
    move(client, headers, round_id, "open")
    owner = create_user()
    home, away = create_organisation(), create_organisation()
    profiles = [create_profile("giver", owner=owner, organisation=home, capacity=2,
                               title=f"Giver {i}", description=text)
                for i, text in enumerate(["Hverdagsrehabilitering for ældre i eget hjem.",
                                          "Regnvandsbede mod skybrud i byen."])]
    profiles += [create_profile("taker", owner=owner, organisation=away, title=f"Taker {i}",
                                description=text)
                 for i, text in enumerate(["Pleje af ældre, træning i hjemmet.",
                                           "Skybrud oversvømmer kældre; klimatilpasning.",
                                           "Ældre borgere skal klare sig selv."])]
    for profile in profiles:
        response = client.post(f"/api/v1/rounds/{round_id}/enrolments",
                               json={"profile_id": profile.id}, headers=headers)
        assert response.status_code == 201, response.json
    move(client, headers, round_id, "pairing")
    return {"id": round_id, "headers": headers, "profiles": profiles, "coordinator": coordinator}


def test_suggestions_and_pairing_use_the_same_model_version(app, client, open_round):
    candidate = store.add_model_version(params={"sector_weight": 0.0, "region_weight": 0.0},
                                        note="test")
    store.promote(candidate)
    db.session.commit()
    run = run_pairing(client, open_round["headers"], open_round["id"])
    assert run["summary"]["model_version"] == candidate.version
    index = engine().index()
    assert index.model_version == candidate.version
    assert index.fitted_at == run["summary"]["fitted_at"] == profiles_version()
    assert db.session.scalar(select(func.count()).select_from(FittedModel).where(
        FittedModel.model_id == candidate.id)) == 1, "the run's fit is the one suggestions load"
    pair = db.session.scalars(select(Pair)).first()
    taker = index.features["taker"].take([index.positions[pair.taker_id][1]])
    giver = index.features["giver"].take([index.positions[pair.giver_id][1]])
    assert pair.score == pytest.approx(float(index.model.score_features(taker, giver)[0, 0]),
                                       abs=1e-6)


def test_a_run_inserts_its_pairs_in_one_statement(app, client, open_round):
    store.current_fitted_model()  # stored before the run: the run must not fit
    fits = []
    original = store.fit_current
    store.fit_current = lambda version: fits.append(version) or original(version)
    inserts = []

    def count_inserts(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO PAIRS"):
            inserts.append(statement)

    event.listen(db.engine, "before_cursor_execute", count_inserts)
    try:
        run = run_pairing(client, open_round["headers"], open_round["id"])
    finally:
        event.remove(db.engine, "before_cursor_execute", count_inserts)
        store.fit_current = original
    assert fits == [], "no refit inside a run when the stored model is current"
    assert run["summary"]["pairs"] == 3
    assert len(inserts) == 1
    pairs = db.session.scalars(select(Pair).order_by(Pair.id)).all()
    assert len(pairs) == 3
    for pair in pairs:
        assert (pair.status, pair.source, pair.version) == ("proposed", "optimal", 1)
        assert pair.reasons["score"] == pytest.approx(pair.score, abs=1e-3)
        assert pair.created_at is not None


def test_an_import_bumps_the_profiles_version_once(app, client, open_round, create_user,
                                                   create_organisation):
    move(client, open_round["headers"], open_round["id"], "open")
    organisation = create_organisation(name="Vejle Kommune")
    people = [create_user(email=f"p{i}@vejle.dk") for i in range(4)]
    lines = ["email;side;title;organisation;description"] + [
        f"{p.email};taker;Udfordring {i};{organisation.name};Beskrivelse {i}"
        for i, p in enumerate(people)]
    before = profiles_version()
    updates = []

    def count_updates(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE MATCHING_STATE"):
            updates.append(statement)

    event.listen(db.engine, "before_cursor_execute", count_updates)
    try:
        response = client.post(f"/api/v1/rounds/{open_round['id']}/import?dry_run=false",
                               data={"file": (io.BytesIO("\n".join(lines).encode()), "r.csv")},
                               headers=open_round["headers"], content_type="multipart/form-data")
    finally:
        event.remove(db.engine, "before_cursor_execute", count_updates)
    assert response.status_code == 200, response.json
    assert response.json["created"] == 4
    assert len(updates) == 1
    assert profiles_version() == before + 1


def test_decisions_become_training_labels(app, client, open_round):
    run_pairing(client, open_round["headers"], open_round["id"])
    first, second = db.session.scalars(select(Pair).order_by(Pair.id)).all()[:2]
    headers = open_round["headers"]
    assert client.post(f"/api/v1/pairs/{first.id}/approve", json={"version": first.version},
                       headers=headers).status_code == 200
    assert client.post(f"/api/v1/pairs/{second.id}/reject",
                       json={"version": second.version, "reason": "poor fit"},
                       headers=headers).status_code == 200
    labels = {(x.taker_id, x.giver_id): (x.label, x.source) for x in training_labels()}
    assert labels == {(first.taker_id, first.giver_id): (1, "decision"),
                      (second.taker_id, second.giver_id): (0, "decision")}
    summary = trained_on(training_labels())
    assert (summary["labels"], summary["positive"], summary["negative"]) == (2, 1, 1)


def test_learned_weights_become_a_candidate_version_with_its_held_out_effect(
        app, runner, open_round, create_profile, create_organisation):
    from spread.models import Pair
    from spread.models.base import utcnow

    round_id = open_round["id"]
    coordinator = open_round["coordinator"]
    result = runner.invoke(args=["train-model", "--as", coordinator.email])
    assert result.exit_code != 0 and "For få afgjorte par" in result.output  # Danish: the default
    # Approved pairs share the sector, rejected ones do not: the sector weight must be learned.
    rows = []
    for i in range(24):
        good = i % 2 == 0
        taker = create_profile("taker", organisation=create_organisation(),
                               sectors=["elderly_care"], description=f"Opgave {i} om ældre")
        giver = create_profile("giver", organisation=create_organisation(),
                               sectors=["elderly_care"] if good else ["environment"],
                               description=f"Løsning {i} om byen")
        rows.append(Pair(round_id=round_id, taker_id=taker.id, giver_id=giver.id, score=0.5,
                         status="approved" if good else "rejected", source="manual",
                         decided_at=utcnow(), decided_by_id=coordinator.id))
    db.session.add_all(rows)
    db.session.commit()
    result = runner.invoke(args=["train-model", "--as", coordinator.email, "--note", "test"])
    assert result.exit_code == 0, result.output
    candidate = db.session.scalar(select(MatchModel).order_by(MatchModel.version.desc()))
    assert candidate.status == "candidate" and candidate.note == "test"
    assert candidate.created_by_id == coordinator.id
    assert candidate.trained_on["labels"] == 24 and candidate.trained_on["positive"] == 12
    assert candidate.weights["sector_weight"] == pytest.approx(1.0)
    assert candidate.evaluation["auc_candidate"] >= candidate.evaluation["auc_current"]
    assert store.current_model_row().version == candidate.version - 1
