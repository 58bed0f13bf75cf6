"""Background jobs: the runner interface, the local pool, and what one job does."""
