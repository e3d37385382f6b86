"""Block Kit builders: plain data in, validated Slack blocks out. Nothing else builds blocks."""
