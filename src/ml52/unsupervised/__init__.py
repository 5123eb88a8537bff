"""Unsupervised learning: finding structure (groups, directions) in data without answers."""
