"""Model ROI Studio: what a classifier is worth in money."""

__version__ = "0.1.0"
