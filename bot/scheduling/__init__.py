"""Scheduling: calendar arithmetic in local time, and the periodic tick that drives the pulse.

Schedules live in our tables; APScheduler only calls `tick` every minute, in one process.
"""
