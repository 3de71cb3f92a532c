"""Hyperspectral cube files: read and write ``(bands, H, W)`` cubes with their dtype, values and wavelengths.

Formats (by suffix):

- ``.npy``: the array as ``(bands, H, W)`` (numpy, no pickles). Wavelengths, when known, go to a sidecar
  ``NAME.wavelengths.txt`` (one value in nm per line), read back when present.
- ``.npz``: ``cube`` ``(bands, H, W)`` and, optionally, ``wavelengths``.
- ``.mat``: MATLAB v5 (scipy) and v7.3 (HDF5, h5py): ``pip install 'srkit[mat]'``. MATLAB stores cubes as
  ``H x W x bands``; the remote-sensing sets store ``bands x pixels`` with the image size beside it
  (``Y`` with ``nRow``/``nCol`` or ``lines``/``cols``, pixels in MATLAB's column-major order). The cube is the one
  2-D/3-D numeric variable of the file, or the one named by ``key``; a 1-D variable whose name holds ``wave`` or
  ``lambda`` and has one value per band is read as the wavelengths. Written as ``cube`` (``H x W x bands``) and
  ``wavelengths`` (v5, or v7.3 with ``mat_version="7.3"``, MATLAB's HDF5 layout with its 512-byte header).
- ``.tif``/``.tiff``: a multi-band (Geo)TIFF through tifffile (planar ``bands x H x W`` or interleaved
  ``H x W x bands``). The GeoTIFF tags (geo keys, tie points, pixel scale, transformation, GDAL no-data and
  metadata) are kept verbatim and written back, so a cube keeps its map position; wavelengths are read from and
  written to GDAL metadata items named ``wavelength`` (one per band), as GDAL and ENVI-converted files hold them.

Nothing is converted: integer cubes stay integer (:meth:`Cube.float_data` gives float32 scaled to about [0, 1]
with the factor to scale back, :meth:`Cube.like` makes an output of the same dtype, rounded and clipped).
Writing is atomic (a half-written cube never appears under the final name). Bad files get one line naming them.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> cube = Cube(np.arange(24, dtype=np.uint16).reshape(2, 3, 4), wavelengths=np.array([450.0, 550.0]))
    >>> back = read_cube(write_cube(folder / "c.npz", cube))
    >>> back.data.dtype, back.shape, back.wavelengths.tolist()
    (dtype('uint16'), (2, 3, 4), [450.0, 550.0])
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from srkit._core.errors import SrkitError
from srkit._core.fileio import atomic_path

__all__ = ["CUBE_SUFFIXES", "Cube", "read_cube", "write_cube"]

CUBE_SUFFIXES = (".npy", ".npz", ".mat", ".tif", ".tiff")
# GeoTIFF and GDAL tags carried from a read cube to its written outputs (codes of the GeoTIFF 1.1 standard and GDAL)
GEO_TAGS = {
    33550: "ModelPixelScaleTag",
    33922: "ModelTiepointTag",
    34264: "ModelTransformationTag",
    34735: "GeoKeyDirectoryTag",
    34736: "GeoDoubleParamsTag",
    34737: "GeoAsciiParamsTag",
    42113: "GDAL_NODATA",
}
_GDAL_METADATA = 42112
_SIZE_KEYS = (("nRow", "nCol"), ("lines", "cols"), ("rows", "cols"))


@dataclass(frozen=True)
class Cube:
    """A hyperspectral (or multispectral) cube.

    Attributes:
        data: ``(bands, H, W)``, the dtype and values as stored.
        wavelengths: band centres in nm, one per band, or None when the file does not say.
        geo: GeoTIFF tags (code -> (tifffile dtype, count, value)) kept from the file it was read from.
    """

    data: np.ndarray
    wavelengths: np.ndarray | None = None
    geo: dict[int, tuple[int, int, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.data.ndim != 3 or min(self.data.shape) < 1:
            raise SrkitError(f"a cube is (bands, H, W), got shape {self.data.shape}")
        if self.data.dtype.kind not in "uif":
            raise SrkitError(f"a cube holds numbers, got dtype {self.data.dtype}")
        if self.wavelengths is not None:
            wl = np.asarray(self.wavelengths, dtype=np.float64).reshape(-1)
            if wl.size != self.data.shape[0]:
                raise SrkitError(f"{wl.size} wavelengths for a cube of {self.data.shape[0]} bands")
            object.__setattr__(self, "wavelengths", wl)

    @property
    def shape(self) -> tuple[int, int, int]:
        b, h, w = self.data.shape
        return b, h, w

    @property
    def bands(self) -> int:
        return int(self.data.shape[0])

    def check_finite(self, source: str = "cube") -> None:
        """One line if the cube holds NaN or infinite values (they would spread through every method)."""
        if self.data.dtype.kind == "f" and not np.isfinite(self.data).all():
            bad = int((~np.isfinite(self.data)).sum())
            raise SrkitError(f"{source}: {bad} NaN or infinite values; fill or mask them first")

    def float_data(self) -> tuple[np.ndarray, float]:
        """``(data / peak as float32, peak)``: the cube scaled so its largest value is 1 (peak 1 for an all-zero
        cube); multiply a result by ``peak`` to return to the cube's units."""
        peak = float(np.abs(self.data).max()) if self.data.size else 0.0
        peak = peak if peak > 0 else 1.0
        return (self.data.astype(np.float32) / np.float32(peak)), peak

    def like(self, values: np.ndarray, *, peak: float = 1.0) -> Cube:
        """A cube of ``values * peak`` in this cube's dtype (integers rounded and clipped to the dtype's range),
        with its wavelengths and geo tags (the caller adjusts the geo pixel size when the grid changes)."""
        wide = self.data.dtype.itemsize > 2 and self.data.dtype != np.float32  # float32 holds 16-bit values exactly
        work = np.float64 if wide else np.float32
        out = np.asarray(values, dtype=work) * np.asarray(peak, dtype=work)  # a new array: the caller's is untouched
        if self.data.dtype.kind in "ui":
            info = np.iinfo(self.data.dtype)
            out = np.clip(np.rint(out, out=out), info.min, info.max, out=out)
        return replace(self, data=out.astype(self.data.dtype, copy=False), geo=dict(self.geo))


def read_cube(path: str | os.PathLike[str], *, key: str | None = None, layout: str | None = None) -> Cube:
    """Read a cube file (module docstring for the formats).

    Args:
        path: the file.
        key: the variable of a ``.mat``/``.npz`` file (default: the only cube-shaped one).
        layout: ``"bhw"`` or ``"hwb"``: the axis order of a 3-D array, overriding the format's convention
            (``.npy``/``.npz``: ``bhw``; ``.mat``: ``hwb``, MATLAB's).

    Raises:
        SrkitError: a missing or unreadable file, an unknown suffix, or no cube in it.
    """
    p = Path(path)
    if not p.is_file():
        raise SrkitError(f"cube file not found: {p}")
    if layout not in (None, "bhw", "hwb"):
        raise SrkitError(f"layout is bhw or hwb, got {layout!r}")
    suffix = p.suffix.lower()
    try:
        if suffix == ".npy":
            data = _axes(np.load(p, allow_pickle=False), layout or "bhw", p)
            side = p.with_name(p.stem + ".wavelengths.txt")
            return Cube(data, np.loadtxt(side, ndmin=1) if side.is_file() else None)
        if suffix == ".npz":
            return _read_npz(p, key, layout)
        if suffix == ".mat":
            return _read_mat(p, key, layout)
        if suffix in (".tif", ".tiff"):
            return _read_tiff(p, layout)
    except SrkitError as err:
        raise SrkitError(str(err) if str(p) in str(err) else f"{p}: {err}") from None
    except Exception as err:  # the readers' own errors (scipy's MatReadError, h5py's, tifffile's) on a bad file
        raise SrkitError(f"{p}: not a readable {suffix} cube ({type(err).__name__}: {err})") from None
    raise SrkitError(f"{p}: unknown cube format {suffix!r} (use {', '.join(CUBE_SUFFIXES)})")


def _axes(array: np.ndarray, layout: str, path: Path) -> np.ndarray:
    a = np.asarray(array)
    if a.ndim == 2:  # one band
        a = a[None] if layout == "bhw" else a[:, :, None]
    if a.ndim != 3:
        raise SrkitError(f"{path}: a cube is 3-D, this array has shape {a.shape}")
    if a.dtype.kind not in "uif":
        raise SrkitError(f"{path}: a cube holds numbers, this array holds {a.dtype}")
    return np.ascontiguousarray(a if layout == "bhw" else a.transpose(2, 0, 1))


def _read_npz(path: Path, key: str | None, layout: str | None) -> Cube:
    with np.load(path, allow_pickle=False) as z:
        names = list(z.keys())
        name = key or ("cube" if "cube" in names else _only([n for n in names if z[n].ndim in (2, 3)], path, key))
        if name not in names:
            raise SrkitError(f"{path}: no array {name!r} (it has {', '.join(names)})")
        wl = z["wavelengths"] if "wavelengths" in names else None
        return Cube(_axes(z[name], layout or "bhw", path), wl)


def _only(names: list[str], path: Path, key: str | None) -> str:
    if len(names) != 1:
        found = ", ".join(names) or "none"
        raise SrkitError(f"{path}: {len(names)} cube-shaped arrays ({found}); name one with key=")
    return names[0]


def _mat_variables(path: Path) -> dict[str, np.ndarray]:
    """The numeric variables of a .mat file (v5, or v7.3: HDF5), as MATLAB sees them."""
    with open(path, "rb") as f:
        head = f.read(128)
    if b"MATLAB 7.3" in head[:116] or head[:8] == b"\x89HDF\r\n\x1a\n":
        try:
            import h5py
        except ImportError:
            raise SrkitError(f"{path} is a MATLAB v7.3 file (HDF5): pip install 'srkit[mat]'") from None
        out: dict[str, np.ndarray] = {}
        with h5py.File(path, "r") as h:
            for name, item in h.items():
                if isinstance(item, h5py.Dataset) and item.dtype.kind in "uif":
                    out[name] = np.asarray(item[()]).T  # HDF5 holds MATLAB's column-major arrays transposed
        return out
    try:
        from scipy.io import loadmat
    except ImportError:
        raise SrkitError(f"reading {path} (a MATLAB .mat file) needs scipy: pip install 'srkit[mat]'") from None
    raw = loadmat(str(path))
    return {k: np.asarray(v) for k, v in raw.items() if not k.startswith("__") and np.asarray(v).dtype.kind in "uif"}


def _read_mat(path: Path, key: str | None, layout: str | None) -> Cube:
    variables = _mat_variables(path)
    if key is not None and key not in variables:
        raise SrkitError(f"{path}: no numeric variable {key!r} (it has {', '.join(variables) or 'none'})")
    scalars = {k: int(v.reshape(-1)[0]) for k, v in variables.items() if v.size == 1}
    size = next(((scalars[r], scalars[c]) for r, c in _SIZE_KEYS if r in scalars and c in scalars), None)
    name = key or _only(
        [k for k, v in variables.items() if v.ndim == 3 or (v.ndim == 2 and min(v.shape) > 1)], path, key
    )
    array = variables[name]
    if array.ndim == 2 and size is not None and layout is None and size[0] * size[1] in array.shape:
        rows, cols = size
        pixels_last = array if array.shape[1] == rows * cols else array.T  # bands x pixels
        data = np.ascontiguousarray(pixels_last.reshape(-1, cols, rows).transpose(0, 2, 1))  # column-major pixels
    else:
        data = _axes(array, layout or "hwb", path)
    bands = data.shape[0]
    waves = [v for k, v in variables.items() if re.search("wave|lambda", k, re.I) and v.size == bands]
    return Cube(data, waves[0].reshape(-1).astype(np.float64) if waves else None)


def _read_tiff(path: Path, layout: str | None) -> Cube:
    import tifffile

    with tifffile.TiffFile(path) as tif:
        series = tif.series[0]
        array, axes = series.asarray(), series.axes
        page = tif.pages[0]
        geo = {
            code: (tag.dtype, tag.count, tag.value)
            for code in GEO_TAGS
            if (tag := page.tags.get(code)) is not None  # type: ignore[union-attr]
        }
        meta = page.tags.get(_GDAL_METADATA)  # type: ignore[union-attr]
        gdal = str(meta.value) if meta is not None else ""
    if layout is None:
        layout = "hwb" if axes.endswith("S") and array.ndim == 3 else "bhw"
    data = _axes(array, layout, path)
    found = {
        int(m.group(1)): float(m.group(2))
        for m in re.finditer(r'<Item name="wavelength" sample="(\d+)"[^>]*>\s*([-0-9.eE+]+)\s*<', gdal)
    }
    wl = np.array([found[i] for i in range(data.shape[0])]) if len(found) == data.shape[0] else None
    return Cube(data, wl, geo)


def write_cube(path: str | os.PathLike[str], cube: Cube, *, overwrite: bool = True, mat_version: str = "5") -> Path:
    """Write ``cube`` (format by suffix, module docstring), atomically; returns the path.

    Raises:
        SrkitError: an unknown suffix, an existing file with ``overwrite=False``, or a write that failed.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in CUBE_SUFFIXES:
        raise SrkitError(f"{p}: unknown cube format {suffix!r} (use {', '.join(CUBE_SUFFIXES)})")
    if mat_version not in ("5", "7.3"):
        raise SrkitError(f"mat_version is 5 or 7.3, got {mat_version!r}")
    if p.exists() and not overwrite:
        raise SrkitError(f"{p} exists (overwrite it with --overwrite)")
    try:
        with atomic_path(p, overwrite=overwrite) as tmp:
            if suffix == ".npy":
                with open(tmp, "wb") as f:
                    np.save(f, cube.data)
            elif suffix == ".npz":
                arrays = {"cube": cube.data}
                if cube.wavelengths is not None:
                    arrays["wavelengths"] = cube.wavelengths
                with open(tmp, "wb") as f:
                    np.savez(f, **arrays)  # type: ignore[arg-type]
            elif suffix == ".mat":
                _write_mat(tmp, cube, mat_version)
            else:
                _write_tiff(tmp, cube)
        if suffix == ".npy" and cube.wavelengths is not None:
            with atomic_path(p.with_name(p.stem + ".wavelengths.txt")) as tmp:
                np.savetxt(tmp, cube.wavelengths, fmt="%.6g")
    except OSError as err:
        raise SrkitError(f"{p}: could not write the cube ({err})") from None
    return p


def _write_mat(path: Path, cube: Cube, version: str) -> None:
    hwb = cube.data.transpose(1, 2, 0)
    if version == "5":
        try:
            from scipy.io import savemat
        except ImportError:
            raise SrkitError("writing .mat files needs scipy: pip install 'srkit[mat]'") from None
        extra = {} if cube.wavelengths is None else {"wavelengths": cube.wavelengths.reshape(-1, 1)}
        savemat(str(path), {"cube": hwb, **extra}, do_compression=True)
        return
    try:
        import h5py
    except ImportError:
        raise SrkitError("writing MATLAB v7.3 files needs h5py: pip install 'srkit[mat]'") from None
    classes = {"f4": "single", "f8": "double", "u1": "uint8", "u2": "uint16", "u4": "uint32", "i2": "int16"}
    with h5py.File(path, "w", userblock_size=512) as h:
        variables = {"cube": hwb}
        if cube.wavelengths is not None:
            variables["wavelengths"] = cube.wavelengths.reshape(-1, 1)
        for name, value in variables.items():
            dset = h.create_dataset(name, data=np.ascontiguousarray(value.T), compression="gzip")
            dset.attrs["MATLAB_class"] = np.bytes_(classes.get(value.dtype.str[1:], "double"))
    stamp = time.strftime("%a %b %d %H:%M:%S %Y", time.gmtime())
    text = f"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: {stamp} HDF5 schema 1.00 .".encode()
    header = text.ljust(116, b" ") + b"\0" * 8 + b"\x00\x02IM"
    with open(path, "r+b") as f:
        f.write(header.ljust(512, b"\0"))


def _write_tiff(path: Path, cube: Cube) -> None:
    import tifffile

    extratags: list[tuple[int, int, int, Any, bool]] = [
        (code, dtype, count, value, True) for code, (dtype, count, value) in cube.geo.items()
    ]
    if cube.wavelengths is not None:
        items = "".join(
            f'<Item name="wavelength" sample="{i}" role="description">{w:.6g}</Item>'
            for i, w in enumerate(cube.wavelengths)
        )
        extratags.append((_GDAL_METADATA, 2, 0, f"<GDALMetadata>{items}</GDALMetadata>", True))
    tifffile.imwrite(
        path,
        cube.data,
        photometric="minisblack",
        planarconfig="separate",
        extratags=extratags,
        metadata=None,
    )
