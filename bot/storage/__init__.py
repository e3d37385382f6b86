"""Storage: SQLAlchemy models, the engine and unit of work, and one repository per aggregate."""
