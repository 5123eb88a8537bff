"""Supervised learning: learning a mapping from inputs to a known answer (a price, a yes/no)."""
