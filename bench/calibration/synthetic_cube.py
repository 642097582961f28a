#!/usr/bin/python3
"""Write a signal-free synthetic event cube (the layout of `tecscan ingest`) for calibration
benchmarks: a 5 x 5 grid of nodes (2.5 x 5 deg) around 30N 50E, 2-hourly epochs from 60 days
before to 7 days after the event, a diurnal TEC shape with a steep sunrise rise (the shape that
gives the networks their sunrise bias), a regional day-to-day factor (AR(1), 10 %), 4 % node
noise, quiet indices except one storm (Kp 6, Dst -80) on a day drawn from the seed.

  python3 bench/calibration/synthetic_cube.py --seed 1 --out synthetic-1.h5

The same generator as tests/support/synthetic_event.hpp, on a larger grid.
Uses numpy and h5py (Debian's python3-numpy, python3-h5py)."""
import argparse
import datetime as dt

import h5py
import numpy as np


def diurnal(local_h):
    rise = 1.0 / (1.0 + np.exp(-(local_h - 7.0) * 3.0))
    decay = np.where(local_h > 14, np.exp(-(local_h - 14.0) / 4.0), 1.0)
    return 6.0 + 24.0 * rise * decay


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    event = dt.datetime(2010, 3, 1, 13, tzinfo=dt.timezone.utc) + dt.timedelta(days=int(rng.integers(0, 200)))
    lat0, lon0 = 30.0, 50.0
    lats = np.repeat(35.0 - 2.5 * np.arange(5), 5)
    lons = np.tile(40.0 + 5.0 * np.arange(5), 5)
    r = 6371.0
    p1, p2 = np.radians(lat0), np.radians(lats)
    dl = np.radians(lons - lon0)
    dist = r * np.arccos(np.clip(np.sin(p1) * np.sin(p2) + np.cos(p1) * np.cos(p2) * np.cos(dl), -1, 1))
    day0 = event.replace(hour=0) - dt.timedelta(days=60)
    nt = 67 * 12
    t_hours = np.array([(day0 + dt.timedelta(hours=2 * i)).timestamp() / 3600.0 for i in range(nt)])
    utc_h = np.arange(nt) % 12 * 2.0
    day = np.arange(nt) // 12
    x, factor = 0.0, []
    for _ in range(68):
        x = 0.7 * x + np.sqrt(1 - 0.49) * rng.standard_normal()
        factor.append(1.0 + 0.1 * x)
    factor = np.array(factor)
    local = (utc_h[None, :] + lons[:, None] / 15.0) % 24.0
    tec = diurnal(local) * factor[day][None, :] * (1.0 + 0.04 * rng.standard_normal((25, nt)))
    storm_day = int(rng.integers(0, 67))
    storm = day == storm_day
    idx = {"kp": 1.0, "ap": 5.0, "ap_daily": 5.0, "dst": -3.0, "f107": 90.0, "f107_obs": 91.0}
    stormy = {"kp": 6.0, "ap": 80.0, "ap_daily": 70.0, "dst": -80.0, "f107": 90.0, "f107_obs": 91.0}
    with h5py.File(a.out, "w") as f:
        f.attrs["event_id"] = f"synthetic-{a.seed}"
        f.attrs["event_time"] = event.strftime("%Y-%m-%dT%H:%M:%SZ")
        f.attrs["event_lat"], f.attrs["event_lon"] = lat0, lon0
        f.attrs["event_magnitude"], f.attrs["event_depth_km"] = 7.0, 10.0
        f.attrs["radius_km"] = 2000.0
        f.attrs["source_files"] = "synthetic (bench/calibration/synthetic_cube.py)"
        f["time"] = t_hours
        f["time"].attrs["units"] = "hours since 1970-01-01 00:00:00"
        f["node"] = np.arange(25, dtype=np.float32)
        f["node_lat"], f["node_lon"], f["node_distance_km"] = lats, lons, dist
        f["tec"] = tec.astype(np.float32)
        for k, v in idx.items():
            f[f"indices/{k}"] = np.where(storm, stormy[k], v).astype(np.float32)


if __name__ == "__main__":
    main()
