"""Vectorised 3x3 finite-difference kernels on plain numpy arrays.

Every function takes ``zp``, an elevation array padded by one cell on each side
(shape ``(ny + 2, nx + 2)``), and returns the ``(ny, nx)`` interior. Spacings are
*signed* coordinate steps in metres: ``spacing_x_m = x[1] - x[0]`` and
``spacing_y_m = y[1] - y[0]`` (negative for a north-up raster). Each may be a
scalar or a column of shape ``(ny, 1)`` (one value per row, for geographic grids).
Derivatives are therefore taken along the coordinate axes: ``dz/dx`` towards
increasing x (east), ``dz/dy`` towards increasing y (north).

Window letters follow GDAL and RichDEM, in raster order (row 0 on top)::

    a b c
    d e f
    g h i

Differences are formed before sums (``(c - a) + 2 (f - d) + (i - g)``) so that
float32 elevations of a few thousand metres keep near-float64 accuracy.
NaN anywhere in a window gives NaN for its centre cell.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

Method = Literal["horn", "zevenbergen_thorne"]
METHODS: tuple[str, ...] = ("horn", "zevenbergen_thorne")

FloatArray = NDArray[np.floating]


class Window(NamedTuple):
    """The nine shifted views of a padded array (no copies)."""

    a: FloatArray
    b: FloatArray
    c: FloatArray
    d: FloatArray
    e: FloatArray
    f: FloatArray
    g: FloatArray
    h: FloatArray
    i: FloatArray


class ZevenbergenThorneTerms(NamedTuple):
    """Coefficients of the Zevenbergen & Thorne (1987) partial quartic.

    ``g = dz/dx``, ``h = dz/dy``, ``d = 1/2 d2z/dx2``, ``e = 1/2 d2z/dy2``,
    ``f = d2z/dxdy`` (RichDEM's G, H, D, E, F), with y pointing north.
    """

    d: FloatArray
    e: FloatArray
    f: FloatArray
    g: FloatArray
    h: FloatArray


def split_window(zp: FloatArray) -> Window:
    """Return the nine shifted views of a padded array."""
    return Window(
        zp[:-2, :-2], zp[:-2, 1:-1], zp[:-2, 2:],
        zp[1:-1, :-2], zp[1:-1, 1:-1], zp[1:-1, 2:],
        zp[2:, :-2], zp[2:, 1:-1], zp[2:, 2:],
    )  # fmt: skip


def _as_dtype(value: ArrayLike, dtype: np.dtype) -> FloatArray:
    return np.asarray(value, dtype=dtype)


def _pair_sum(
    left: tuple[FloatArray, FloatArray],
    middle: tuple[FloatArray, FloatArray],
    right: tuple[FloatArray, FloatArray],
) -> FloatArray:
    """``(l1 - l0) + 2 (m1 - m0) + (r1 - r0)`` with two temporaries, differences first."""
    out = np.subtract(middle[1], middle[0])
    out *= 2
    tmp = np.subtract(left[1], left[0])
    out += tmp
    np.subtract(right[1], right[0], out=tmp)
    out += tmp
    return out


def compute_gradient(
    zp: FloatArray, spacing_x_m: ArrayLike, spacing_y_m: ArrayLike, method: Method
) -> tuple[FloatArray, FloatArray]:
    """Return ``(dz/dx, dz/dy)`` of the interior, by Horn (1981) or Zevenbergen-Thorne."""
    w = split_window(zp)
    sx = _as_dtype(spacing_x_m, zp.dtype)
    sy = _as_dtype(spacing_y_m, zp.dtype)
    if method == "horn":
        d_col = _pair_sum((w.a, w.c), (w.d, w.f), (w.g, w.i))
        d_col /= 8 * sx
        d_row = _pair_sum((w.a, w.g), (w.b, w.h), (w.c, w.i))
        d_row /= 8 * sy
    elif method == "zevenbergen_thorne":
        d_col = np.subtract(w.f, w.d)
        d_col /= 2 * sx
        d_row = np.subtract(w.h, w.b)
        d_row /= 2 * sy
    else:  # guarded by the public API; kept for direct callers
        raise ValueError(f"Unknown {method=}; use one of {METHODS}")
    return d_col, d_row


def compute_slope_tan(
    zp: FloatArray, spacing_x_m: ArrayLike, spacing_y_m: ArrayLike, method: Method
) -> FloatArray:
    """Slope as rise over run, ``sqrt((dz/dx)^2 + (dz/dy)^2)``."""
    dzdx, dzdy = compute_gradient(zp, spacing_x_m, spacing_y_m, method)
    dzdx *= dzdx
    dzdy *= dzdy
    dzdx += dzdy
    return np.sqrt(dzdx, out=dzdx)


def compute_aspect_deg(
    zp: FloatArray,
    spacing_x_m: ArrayLike,
    spacing_y_m: ArrayLike,
    method: Method,
    flat_value: float,
) -> FloatArray:
    """Azimuth in [0, 360) degrees, clockwise from north, of the direction the slope faces.

    This is GDAL's ``gdaldem aspect`` convention (downslope direction). A cell
    whose gradient is exactly zero gets ``flat_value``.
    """
    dzdx, dzdy = compute_gradient(zp, spacing_x_m, spacing_y_m, method)
    flat = (dzdx == 0) & (dzdy == 0)
    # atan2(-x, -y) = atan2(x, y) + 180 deg, which lands directly in (0, 360].
    aspect = np.arctan2(dzdx, dzdy, out=dzdx)
    aspect *= np.asarray(180 / np.pi, dtype=aspect.dtype)
    aspect += 180
    aspect[aspect >= 360] = 0  # due north is 0, as gdaldem
    if flat.any():
        aspect[flat] = flat_value
    return aspect


def compute_zt_terms(
    zp: FloatArray, spacing_x_m: ArrayLike, spacing_y_m: ArrayLike
) -> ZevenbergenThorneTerms:
    """Zevenbergen & Thorne (1987) coefficients D, E, F, G, H with y pointing north."""
    w = split_window(zp)
    sx = _as_dtype(spacing_x_m, zp.dtype)
    sy = _as_dtype(spacing_y_m, zp.dtype)
    d = ((w.d - w.e) + (w.f - w.e)) / (2 * sx * sx)
    e = ((w.b - w.e) + (w.h - w.e)) / (2 * sy * sy)
    f = ((w.i - w.g) - (w.c - w.a)) / (4 * sx * sy)
    g = (w.f - w.d) / (2 * sx)
    h = (w.h - w.b) / (2 * sy)
    return ZevenbergenThorneTerms(d, e, f, g, h)


def compute_total_curvature(
    zp: FloatArray, spacing_x_m: ArrayLike, spacing_y_m: ArrayLike
) -> FloatArray:
    """RichDEM/ArcGIS total curvature ``-2 (D + E) * 100`` in 1/(100 m); positive is convex."""
    w = split_window(zp)
    sx = _as_dtype(spacing_x_m, zp.dtype)
    sy = _as_dtype(spacing_y_m, zp.dtype)
    # -2 (D + E) * 100 = -100 ((d - e) + (f - e)) / sx^2 - 100 ((b - e) + (h - e)) / sy^2
    along_x = np.subtract(w.d, w.e)
    tmp = np.subtract(w.f, w.e)
    along_x += tmp
    along_x *= -100 / (sx * sx)
    along_y = np.subtract(w.b, w.e, out=tmp)
    along_y += np.subtract(w.h, w.e)
    along_y *= -100 / (sy * sy)
    along_x += along_y
    return along_x


def compute_plan_curvature_richdem(
    zp: FloatArray, spacing_x_m: ArrayLike, spacing_y_m: ArrayLike
) -> FloatArray:
    """RichDEM planform curvature ``-2 (D H^2 + E G^2 - F G H) / (G^2 + H^2) * 100``.

    Zero where the surface is flat (G = H = 0), as RichDEM.
    """
    t = compute_zt_terms(zp, spacing_x_m, spacing_y_m)
    grad2 = t.g * t.g + t.h * t.h
    num = -200 * (t.d * t.h * t.h + t.e * t.g * t.g - t.f * t.g * t.h)
    return _divide_or_zero(num, grad2)


def compute_profile_curvature_richdem(
    zp: FloatArray, spacing_x_m: ArrayLike, spacing_y_m: ArrayLike
) -> FloatArray:
    """RichDEM profile curvature ``2 (D G^2 + E H^2 + F G H) / (G^2 + H^2) * 100``.

    Zero where the surface is flat (G = H = 0), as RichDEM.
    """
    t = compute_zt_terms(zp, spacing_x_m, spacing_y_m)
    grad2 = t.g * t.g + t.h * t.h
    num = 200 * (t.d * t.g * t.g + t.e * t.h * t.h + t.f * t.g * t.h)
    return _divide_or_zero(num, grad2)


def compute_plan_curvature_saga(
    zp: FloatArray, spacing_x_m: ArrayLike, spacing_y_m: ArrayLike
) -> FloatArray:
    """SAGA plan curvature ``-(t p^2 + r q^2 - 2 s p q) / (p^2 + q^2)^1.5`` in 1/m.

    SAGA's notation: ``r = 2D``, ``t = 2E``, ``s = F``, ``p = G``, ``q = H``. 0 on flat cells.
    """
    t = compute_zt_terms(zp, spacing_x_m, spacing_y_m)
    r, tt, s, p, q = 2 * t.d, 2 * t.e, t.f, t.g, t.h
    grad2 = p * p + q * q
    num = -(tt * p * p + r * q * q - 2 * s * p * q)
    return _divide_or_zero(num, grad2 * np.sqrt(grad2))


def compute_profile_curvature_saga(
    zp: FloatArray, spacing_x_m: ArrayLike, spacing_y_m: ArrayLike
) -> FloatArray:
    """SAGA profile curvature ``-(r p^2 + t q^2 + 2 s p q) / ((p^2 + q^2) (1 + p^2 + q^2)^1.5)``.

    In 1/m; 0 on flat cells. Opposite in sign to RichDEM's profile curvature.
    """
    t = compute_zt_terms(zp, spacing_x_m, spacing_y_m)
    r, tt, s, p, q = 2 * t.d, 2 * t.e, t.f, t.g, t.h
    grad2 = p * p + q * q
    num = -(r * p * p + tt * q * q + 2 * s * p * q)
    return _divide_or_zero(num, grad2 * (1 + grad2) ** 1.5)


def mask_nodata_windows(zp: FloatArray, interior: FloatArray) -> FloatArray:
    """Set to NaN every interior cell whose 3x3 window in ``zp`` holds a NaN (as GDAL).

    Needed because Horn's gradient ignores the centre cell and the curvature terms
    ignore some corners, so NaN arithmetic alone would not propagate nodata.
    """
    if not _needs_window_mask(zp):
        return interior
    nan = np.isnan(zp)
    touched = np.zeros(interior.shape, dtype=bool)
    for view in split_window(nan):
        touched |= view
    return np.where(touched, np.asarray(np.nan, dtype=interior.dtype), interior)


def _needs_window_mask(zp: FloatArray) -> bool:
    """False when NaN arithmetic alone already gives the GDAL nodata mask.

    True if the inner cells hold NaN (a sum overflowing to inf only costs time). A
    frame side that is entirely NaN (the ``edges="nan"`` padding, or a nodata row)
    needs no mask: every kernel reads the orthogonal neighbour of a border cell. A
    side only partly NaN (nodata in a dask block's overlap) does.
    """
    if not np.isfinite(zp[1:-1, 1:-1].sum()):
        return True
    for side in (zp[0], zp[-1], zp[:, 0], zp[:, -1]):
        nan = np.isnan(side)
        if nan.any() and not nan.all():
            return True
    return False


def _divide_or_zero(num: FloatArray, den: FloatArray) -> FloatArray:
    flat = den == 0
    safe = np.where(flat, np.ones_like(den), den)
    return np.where(flat, np.zeros_like(num), num / safe)
