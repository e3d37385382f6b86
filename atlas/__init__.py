"""The pure core of Adoption Atlas: the failure-mode taxonomy and the rules over it.

Nothing here imports Slack, SQLAlchemy or APScheduler.
"""
