"""Command-line commands: create-user, set-role, seed-demo."""
from sqlalchemy import func, select

from spread.extensions import db
from spread.models import Organisation, Profile, User
from spread.services.demo import DEMO_PASSWORD


def test_create_coordinator_from_the_command_line(runner):
    result = runner.invoke(args=["create-user", "--role", "coordinator", "--name", "Karen K",
                                 "karen@example.dk"], input="long enough pw\nlong enough pw\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "karen@example.dk"))
    assert user.role == "coordinator" and user.check_password("long enough pw")


def test_create_user_reports_bad_input_and_duplicates(runner, create_user):
    create_user(email="taken@example.dk")
    result = runner.invoke(args=["create-user", "taken@example.dk"],
                           env={"SPREAD_NEW_PASSWORD": "long enough pw"})
    assert result.exit_code != 0 and "already exists" in result.output
    result = runner.invoke(args=["create-user", "not-an-email"],
                           env={"SPREAD_NEW_PASSWORD": "long enough pw"})
    assert result.exit_code != 0 and "email" in result.output


def test_set_role(runner, create_user):
    user = create_user()
    result = runner.invoke(args=["set-role", user.email, "admin"])
    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert user.role == "admin"
    assert runner.invoke(args=["set-role", "nobody@example.dk", "admin"]).exit_code != 0


def _counts():
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in
                 (User, Organisation, Profile))


def test_seed_demo_is_idempotent_and_rich_enough(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    first = _counts()
    users, organisations, _ = first
    givers = db.session.scalar(select(func.count()).where(Profile.side == "giver"))
    takers = db.session.scalar(select(func.count()).where(Profile.side == "taker"))
    assert givers >= 30 and takers >= 30 and organisations >= 15
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert _counts() == first
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "not loaded" in result.output and _counts() == first
    coordinator = db.session.scalar(select(User).where(User.role == "coordinator"))
    assert coordinator.check_password(DEMO_PASSWORD)
    danish = db.session.scalar(select(func.count()).where(Profile.language == "da"))
    english = db.session.scalar(select(func.count()).where(Profile.language == "en"))
    assert danish > 0 and english > 0
