"""Diagnosis: rules that turn a team's pulse signals into atlas failure-mode findings."""
