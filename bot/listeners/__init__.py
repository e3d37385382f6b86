"""Bolt listeners: thin functions that ack, parse, call one service, build, and reply."""
