#!/usr/bin/python3
"""Write the paper-size benchmark event: a reproducible synthetic cube with the shape of the
paper's workload (the 2017-11-12 Mw 7.3 Sarpol-e Zahab earthquake, 34.911N 45.959E): every
node of the 5 x 2.5 deg GIM grid within 2000 km of the epicentre (103 nodes, selected as
tecscan's select_region does: haversine, R = 6371 km) x hourly epochs 2017-08-01T00Z ..
2017-11-30T23Z (122 days, 2928 epochs), in the layout of `tecscan ingest`.

The TEC is the calibration benchmark's synthetic shape (bench/calibration/synthetic_cube.py:
diurnal curve with a steep sunrise, by local time), scaled by latitude, times a regional AR(1)
day-to-day factor (10 %) and 4 % node noise. Indices are quiet except a storm on 2017-09-07/08
(as the real one: Kp 8, Dst -142 nT, F10.7 > 120), so the quiet mask has work to do.

Why synthetic: the bundled maps (data/ionex/jpl-2000-2001) are 2-hourly and cover 55 days of
2000-2001, so no hourly 122-day cube can be built from them; the training work depends only on
the shape (nodes x epochs), which this reproduces exactly.

  /usr/bin/python3 bench/paper_event/make_cube.py --out paper-event.h5 [--seed 1]

Uses numpy and h5py (Debian's python3-numpy, python3-h5py).
"""
import argparse
import datetime as dt
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "calibration"))
from synthetic_cube import diurnal  # noqa: E402  (one definition of the synthetic TEC shape)

EVENT = dt.datetime(2017, 11, 12, 18, 18, 17, tzinfo=dt.timezone.utc)
LAT0, LON0, MAGNITUDE, DEPTH_KM = 34.911, 45.959, 7.3, 19.0
FIRST = dt.datetime(2017, 8, 1, tzinfo=dt.timezone.utc)
DAYS = 122  # 2017-08-01 .. 2017-11-30
RADIUS_KM = 2000.0
EARTH_KM = 6371.0
STORM_DAYS = (dt.date(2017, 9, 7), dt.date(2017, 9, 8))


def grid_nodes():
    """(lat, lon, distance km) of the global 5 x 2.5 deg GIM nodes within RADIUS_KM, in
    tecscan's order (north to south, then west to east; the +180 copy of -180 left out)."""
    lats = 87.5 - 2.5 * np.arange(71)
    lons = -180.0 + 5.0 * np.arange(72)
    lat, lon = np.meshgrid(lats, lons, indexing="ij")
    p1, p2 = np.radians(LAT0), np.radians(lat)
    a = (np.sin((p2 - p1) / 2) ** 2
         + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon - LON0) / 2) ** 2)
    dist = 2 * EARTH_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
    keep = dist <= RADIUS_KM + 1e-6
    return lat[keep], lon[keep], dist[keep]


def indices(days):
    """Hourly Kp, Ap, daily Ap, Dst, F10.7 (adjusted and observed): quiet, one storm."""
    nt = days.size
    out = {"kp": np.full(nt, 1.3), "ap": np.full(nt, 5.0), "ap_daily": np.full(nt, 5.0),
           "dst": np.full(nt, -4.0), "f107": np.full(nt, 78.0), "f107_obs": np.full(nt, 77.0)}
    dates = np.array([FIRST.date() + dt.timedelta(days=int(d)) for d in days])
    storm = np.isin(dates, STORM_DAYS)
    for key, value in (("kp", 8.0), ("ap", 200.0), ("ap_daily", 100.0), ("dst", -142.0),
                       ("f107", 180.0), ("f107_obs", 182.0)):
        out[key][storm] = value
    return {k: v.astype(np.float32) for k, v in out.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    lats, lons, dist = grid_nodes()
    nnode, nt = lats.size, DAYS * 24
    hours0 = FIRST.timestamp() / 3600.0
    t_hours = hours0 + np.arange(nt, dtype=np.float64)
    day = np.arange(nt) // 24
    utc_h = (np.arange(nt) % 24).astype(np.float64)
    x, factor = 0.0, np.empty(DAYS)
    for d in range(DAYS):
        x = 0.7 * x + np.sqrt(1 - 0.49) * rng.standard_normal()
        factor[d] = 1.0 + 0.1 * x
    local = (utc_h[None, :] + lons[:, None] / 15.0) % 24.0
    latitude = (1.0 + 0.015 * (LAT0 - lats))[:, None]  # more TEC towards the equator
    tec = (diurnal(local) * latitude * factor[day][None, :]
           * (1.0 + 0.04 * rng.standard_normal((nnode, nt))))
    try:
        write(a.out, a.seed, lats, lons, dist, t_hours, tec, day)
    except OSError as e:
        if os.path.exists(a.out + ".tmp"):
            os.remove(a.out + ".tmp")
        print(f"make_cube.py: cannot write {a.out}: {e}", file=sys.stderr)
        sys.exit(2)
    print(f"wrote {a.out}: {nnode} nodes x {nt} hourly epochs "
          f"({FIRST:%Y-%m-%d} .. {FIRST + dt.timedelta(days=DAYS - 1):%Y-%m-%d}), seed {a.seed}")


def write(out, seed, lats, lons, dist, t_hours, tec, day):
    """The cube in the layout of `tecscan ingest`, atomically (temp file + rename)."""
    tmp = out + ".tmp"
    with h5py.File(tmp, "w") as f:
        f.attrs["event_id"] = "paper-size-sarpol-e-zahab-synthetic"
        f.attrs["event_time"] = EVENT.strftime("%Y-%m-%dT%H:%M:%SZ")
        f.attrs["event_lat"], f.attrs["event_lon"] = LAT0, LON0
        f.attrs["event_magnitude"], f.attrs["event_depth_km"] = MAGNITUDE, DEPTH_KM
        f.attrs["radius_km"] = RADIUS_KM
        f.attrs["source_files"] = f"synthetic (bench/paper_event/make_cube.py --seed {seed})"
        f["time"] = t_hours
        f["time"].attrs["units"] = "hours since 1970-01-01 00:00:00"
        f["node"] = np.arange(lats.size, dtype=np.float32)
        f["node_lat"], f["node_lon"], f["node_distance_km"] = lats, lons, dist
        f["tec"] = tec.astype(np.float32)
        for k, v in indices(day).items():
            f[f"indices/{k}"] = v
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
