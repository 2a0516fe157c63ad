"""Figures people look at (PNG): one module per figure family.

Plotting functions take data and an output path, use matplotlib's Agg backend, and
write atomically (temporary file, then rename).
"""
