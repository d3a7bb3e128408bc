"""Generic time-to-event models and metrics. Knows nothing about banks."""
