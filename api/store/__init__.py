"""Storage: SQLAlchemy 2 models (models.py), the engine and migrations (db.py), one repository."""
