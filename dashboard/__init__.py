"""The live Panel dashboard and its JSON API (`python -m dashboard`, `windmill dashboard`)."""
