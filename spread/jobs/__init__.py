"""Queue tasks, one module per kind; importing this package registers them with the queue."""
from spread.jobs import accounts, imports, mail, maintenance, models, pairing  # noqa: F401
