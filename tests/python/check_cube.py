#!/usr/bin/env python3
"""Checks that a tecscan cube opens in h5py and in xarray (engine="h5netcdf") as CF data.

Usage: check_cube.py CUBE.h5 EXPECTED.json
EXPECTED.json holds what the writer was given: nnode, ntime, first_time (ISO, UTC),
time_step_s, event_id, tec (nested list, null = NaN). Prints "OK" and exits 0 on success;
prints what differs and exits 1 otherwise. Exit 3 = h5py/xarray/h5netcdf not installed.
"""
import json
import sys

try:
    import h5py
    import numpy as np
    import xarray as xr
    import h5netcdf  # noqa: F401  (the engine xarray uses)
except ImportError as e:  # the C++ test turns this into GTEST_SKIP
    print(f"missing python module: {e}")
    sys.exit(3)

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


def main(path, expected_path):
    with open(expected_path) as f:
        exp = json.load(f)
    nn, nt = exp["nnode"], exp["ntime"]
    want_tec = np.array([[np.nan if v is None else v for v in row] for row in exp["tec"]],
                        dtype=np.float32)

    # --- h5py: raw layout
    with h5py.File(path, "r") as f:
        tec = f["tec"]
        check(tec.shape == (nn, nt), f"h5py tec shape {tec.shape} != {(nn, nt)}")
        check(tec.dtype == np.float32, f"h5py tec dtype {tec.dtype}")
        check(tec.compression == "gzip", f"tec compression {tec.compression} (want gzip)")
        check(np.array_equal(tec[()], want_tec, equal_nan=True), "h5py tec values differ")
        check(f["time"].attrs["units"] in ("hours since 1970-01-01 00:00:00",
                                           b"hours since 1970-01-01 00:00:00"),
              f"time units {f['time'].attrs['units']!r}")
        for name in ("time", "node"):
            cls = f[name].attrs.get("CLASS")
            check(cls in (b"DIMENSION_SCALE", "DIMENSION_SCALE"), f"/{name} CLASS {cls!r}")
        check([d.label for d in tec.dims] in (["node", "time"], ["", ""]), "tec dims labels")
        check(len(tec.dims[0]) == 1 and tec.dims[0][0].name == "/node", "tec dim 0 not /node")
        check(len(tec.dims[1]) == 1 and tec.dims[1][0].name == "/time", "tec dim 1 not /time")
        check(np.isnan(tec.attrs["_FillValue"]) and tec.attrs["_FillValue"].dtype == np.float32,
              "tec _FillValue is not a float32 NaN")
        check("kp" in f["indices"], "missing /indices/kp")

    # --- xarray through h5netcdf: named dims, decoded CF time
    ds = xr.open_dataset(path, engine="h5netcdf")
    try:
        check(ds["tec"].dims == ("node", "time"), f"xarray tec dims {ds['tec'].dims}")
        check(ds.sizes["node"] == nn and ds.sizes["time"] == nt, f"xarray sizes {dict(ds.sizes)}")
        check(np.issubdtype(ds["time"].dtype, np.datetime64), f"time dtype {ds['time'].dtype}")
        t0 = np.datetime64(exp["first_time"].rstrip("Z"), "ns")
        check(ds["time"].values[0] == t0, f"time[0] {ds['time'].values[0]} != {t0}")
        step = np.diff(ds["time"].values).astype("timedelta64[s]").astype(np.int64)
        check(bool(np.all(step == exp["time_step_s"])), f"time steps {step}")
        check(ds["time"].encoding.get("units") == "hours since 1970-01-01 00:00:00",
              f"time encoding units {ds['time'].encoding.get('units')!r}")
        check(np.array_equal(ds["tec"].values, want_tec, equal_nan=True), "xarray tec differs")
        check(ds["tec"].attrs.get("units") == "TECU", f"tec units {ds['tec'].attrs.get('units')!r}")
        check("node_lat" in ds.coords and "node_lon" in ds.coords, "node_lat/lon not coordinates")
        check(ds["node_lat"].dims == ("node",), f"node_lat dims {ds['node_lat'].dims}")
        check(ds.attrs.get("event_id") == exp["event_id"], f"event_id {ds.attrs.get('event_id')!r}")
        check(ds.attrs.get("Conventions") == "CF-1.8", "Conventions")
        idx = xr.open_dataset(path, engine="h5netcdf", group="indices")
        try:
            check(idx["kp"].dims == ("time",), f"indices/kp dims {idx['kp'].dims}")
            check(idx["kp"].attrs.get("units") is not None, "indices/kp units")
        finally:
            idx.close()
    finally:
        ds.close()

    if failures:
        print("\n".join(failures))
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
