"""Whole-scene inference: tiles, streaming prediction, GIS outputs and a report."""
