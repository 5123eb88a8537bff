"""Environments with the Gymnasium API."""
