#!/usr/bin/env python3
"""Recomputes, independently of tecscan's C++ code, the expected values that the C++ tests
hard-code, from the real files under data/, and checks each against the value in the test
source (found by the test's name and a pattern, so a test edited without this script fails).

- Grid-node counts of select_region (tests/test_region.cpp, tests/test_cli.cpp): haversine
  distances (sphere of 6371 km) from the epicentre to every node of the 5 x 2.5 deg grid, the
  grid read from the bundled IONEX headers, the El Salvador epicentre from the bundled ComCat
  catalogue.
- Whole-map TEC and RMS sums (tests/test_ionex.cpp): a small IONEX reader written here from
  the format description (I5 values, 16 per line, 9999 missing, EXPONENT), summed without the
  duplicate +180 column.

Usage: /usr/bin/python3 tests/python/independent_values.py  (needs numpy; `gzip -dc` reads the
Unix-compress .Z files). Prints one line per value and exits 1 when any disagrees.
"""
import csv
import gzip
import os
import re
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EARTH_RADIUS_KM = 6371.0
TOLERANCE_KM = 1e-6  # select_region's "inclusive" radius

failures = []


def test_body(test_file, test_name):
    """The text of one TEST(...) of a C++ test file, up to the next TEST."""
    text = open(os.path.join(ROOT, "tests", test_file)).read()
    start = text.find(test_name + ")")
    if start < 0:
        raise SystemExit(f"{test_file}: no test {test_name}")
    end = text.find("\nTEST", start)
    return text[start:end if end > 0 else len(text)]


def hard_coded(test_file, test_name, pattern):
    """The one number that `pattern` (one capture group) matches in the test's body."""
    found = re.findall(pattern, test_body(test_file, test_name))
    if len(found) != 1:
        raise SystemExit(f"{test_file} {test_name}: {len(found)} matches of {pattern!r}")
    return float(found[0])


def check(test_file, test_name, pattern, computed, tolerance=0.0):
    expected = hard_coded(test_file, test_name, pattern)
    ok = abs(computed - expected) <= tolerance
    print(f"{'ok  ' if ok else 'FAIL'} {test_file} {test_name}: test has {expected:g}, "
          f"recomputed {computed:.6g}")
    if not ok:
        failures.append((test_file, test_name))


# ---- IONEX, read from the format description ----------------------------------------------

def ionex_text(path):
    if path.endswith(".Z"):  # Unix compress: gzip decodes it
        done = subprocess.run(["gzip", "-dc", path], check=True, capture_output=True)
        return done.stdout.decode()
    if path.endswith(".gz"):
        return gzip.open(path, "rt").read()
    return open(path).read()


def read_ionex(path):
    """Header grid and the TEC and RMS maps as arrays [map, lat, lon] (NaN where missing)."""
    lines = ionex_text(path).splitlines()
    header = {}
    body_start = 0
    for k, line in enumerate(lines):
        label = line[60:].strip()
        header.setdefault(label, line[:60])
        if label == "END OF HEADER":
            body_start = k + 1
            break
    lat1, lat2, dlat = map(float, header["LAT1 / LAT2 / DLAT"].split())
    lon1, lon2, dlon = map(float, header["LON1 / LON2 / DLON"].split())
    exponent = int(header.get("EXPONENT", "-1").split()[0])
    nlat = int(round((lat2 - lat1) / dlat)) + 1
    nlon = int(round((lon2 - lon1) / dlon)) + 1
    maps = {"TEC": [], "RMS": []}
    current, kind, map_exponent = None, None, exponent
    k = body_start
    while k < len(lines):
        line = lines[k]
        label = line[60:].strip()
        k += 1
        if label in ("START OF TEC MAP", "START OF RMS MAP"):
            kind, current, map_exponent = label.split()[2], np.full((nlat, nlon), np.nan), exponent
        elif label == "EXPONENT" and current is not None:
            map_exponent = int(line[:60].split()[0])
        elif label == "LAT/LON1/LON2/DLON/H" and current is not None:
            # The band's nlon values follow, I5, 16 to a line (a full line has no label).
            row = int(round((float(line[2:8]) - lat1) / dlat))
            nlines = -(-nlon // 16)
            text = "".join(lines[k + i].rstrip().ljust(80) for i in range(nlines))
            k += nlines
            raw = np.array([int(text[i:i + 5]) for i in range(0, 5 * nlon, 5)])
            band = raw * 10.0 ** map_exponent
            band[raw == 9999] = np.nan
            current[row] = band
        elif label in ("END OF TEC MAP", "END OF RMS MAP") and current is not None:
            maps[kind].append(current)
            current = None
    lats = lat1 + dlat * np.arange(nlat)
    lons = lon1 + dlon * np.arange(nlon)
    return lats, lons, {k: np.array(v) for k, v in maps.items()}


def sum_without_wrap(m):
    return float(np.sum(m[:, :-1]))


# ---- regions --------------------------------------------------------------------------------

def haversine_km(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(1.0, a)))


def region(lats, lons, lat, lon, radius_km):
    """(node lats, node lons, distances) within radius_km; the +180 copy of -180 counted once."""
    if abs(abs(lons[-1] - lons[0]) - 360) < 1e-6:
        lons = lons[:-1]
    glat, glon = np.meshgrid(lats, lons, indexing="ij")
    d = haversine_km(lat, lon, glat, glon)
    inside = d <= radius_km + TOLERANCE_KM
    return glat[inside], glon[inside], d[inside]


def catalogue_event(path, event_id):
    with open(path) as f:
        for row in csv.DictReader(f):
            if row["id"] == event_id:
                return float(row["latitude"]), float(row["longitude"])
    raise SystemExit(f"{path}: no event {event_id}")


def main():
    # The global grid of the bundled JPL maps (the tests' standard_grid() is the same grid).
    jpl_dir = os.path.join(ROOT, "data", "ionex", "jpl-2000-2001")
    first_day = sorted(os.listdir(jpl_dir))[0]
    lats, lons, _ = read_ionex(os.path.join(jpl_dir, first_day))

    f = "test_region.cpp"
    t = "SarpolZahabAt2000KmHas103Nodes"
    _, _, d = region(lats, lons, 34.911, 45.959, 2000)
    check(f, t, r"EXPECT_EQ\(r\.size\(\), (\d+)u\)", d.size)
    check(f, t, r"EXPECT_NEAR\(r\.distance_km\[nearest\], ([\d.]+), 0\.5\)", d.min(), 0.5)
    t = "DatelineEventTakesNodesOnBothSides"
    west = region(lats, lons, -17.9, -178.5, 2000)[2].size
    check(f, t, r"EXPECT_EQ\(west\.size\(\), (\d+)u\)", west)
    check(f, t, r"EXPECT_EQ\(a\.size\(\), (\d+)u\)", region(lats, lons, 0, 179.9, 2000)[2].size)
    t = "KodiakCrossesTheDatelineFromAlaska"
    _, node_lon, d = region(lats, lons, 57.078, -153.211, 2000)
    check(f, t, r"EXPECT_EQ\(r\.size\(\), (\d+)u\)", d.size)
    check(f, t, r"lon > 0; \}\), (\d+)u\)", int(np.sum(node_lon > 0)))
    t = "NearThePoleEveryLongitudeIsTaken"
    node_lat, _, d = region(lats, lons, 88, 0, 2000)
    check(f, t, r"EXPECT_EQ\(r\.size\(\), (\d+)u\)", d.size)
    check(f, t, r"EXPECT_EQ\(at_87_5, (\d+)u\)", int(np.sum(node_lat == 87.5)))

    # El Salvador 2001 (usp000a7m5): the demo's region on the bundled maps.
    lat, lon = catalogue_event(
        os.path.join(ROOT, "data", "catalogs", "comcat_m4.5_2000-10_2001-02.csv"), "usp000a7m5")
    check("test_cli.cpp", "IngestAndScanTheBundledElSalvadorEvent",
          r"EXPECT_EQ\(cube\.nnode\(\), (\d+)u\)", region(lats, lons, lat, lon, 2000)[2].size)

    # Whole-map sums of the IONEX fixtures (x 10^EXPONENT TECU), as the tests' sum_without_wrap.
    fixtures = os.path.join(ROOT, "data", "ionex", "fixtures")

    def check_sum(test, file_name, expression, kind, index):
        _, _, maps = read_ionex(os.path.join(fixtures, file_name))
        pattern = r"sum_without_wrap\(f, " + re.escape(expression) + r"\), ([\d.]+), 0\.05"
        check("test_ionex.cpp", test, pattern, sum_without_wrap(maps[kind][index]), 0.05)

    t = "ReadsJplFinal2017WithRmsAndAuxBlock"
    check_sum(t, "jplg0010.17i.gz", "first.tec", "TEC", 0)
    check_sum(t, "jplg0010.17i.gz", "first.rms", "RMS", 0)
    check_sum(t, "jplg0010.17i.gz", "midnight.tec", "TEC", -1)
    check_sum(t, "jplg0010.17i.gz", "midnight.rms", "RMS", -1)
    t = "ReadsIgsRapidPlainMixFileWithoutEndOfFile"
    check_sum(t, "igrg3380.10i", "f.maps[0].tec", "TEC", 0)
    check_sum(t, "igrg3380.10i", "f.maps[0].rms", "RMS", 0)
    check_sum(t, "igrg3380.10i", "f.maps[6].rms", "RMS", 6)

    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
