"""Adoption Atlas: the Slack side (I/O, storage, scheduling) around the pure `atlas` core."""
