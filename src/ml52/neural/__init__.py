"""Neural networks: an own reverse-mode autodiff engine and the networks built on it, plus PyTorch twins."""
