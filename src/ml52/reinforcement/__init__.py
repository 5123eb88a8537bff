"""Reinforcement learning: learning to act from rewards."""
