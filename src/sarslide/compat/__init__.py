"""Compatibility shims for third-party packages (imported before them)."""

from sarslide.compat.torchvision_ops import ensure_torchvision_importable

__all__ = ["ensure_torchvision_importable"]
