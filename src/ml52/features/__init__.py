"""Feature engineering: turning raw measurements into inputs a model can use."""
