"""Generate the bundled hourly weather sample for the forecasting demo:
``data/weather/weather.csv``, two stations, 60 days of hourly rows each.

Daily and yearly temperature cycles with noise, pressure with some invalid -9999
readings, humidity with missing values, wind speed and direction in degrees; station
``beta`` has a 5-hour outage (a gap the windower must not cross). Fixed seed: running
it again rewrites the identical file.
"""
from __future__ import annotations

import argparse
import csv
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np


def make_rows(days: int = 60, seed: int = 11) -> list[dict]:
    rng = np.random.default_rng(seed)
    start = datetime(2023, 1, 1, tzinfo=timezone.utc)
    rows = []
    for station, offset in (("alpha", 0.0), ("beta", 3.0)):
        n = days * 24
        hours = np.arange(n)
        temp = (5 + offset + 6 * np.sin(2 * np.pi * (hours - 9) / 24) + hours / n * 4
                + rng.normal(0, 0.8, n))
        pressure = 1013 + np.cumsum(rng.normal(0, 0.4, n))
        humidity = np.clip(70 - 2 * (temp - temp.mean()) + rng.normal(0, 5, n), 10, 100)
        speed = np.abs(rng.normal(3, 1.5, n))
        degrees = (200 + np.cumsum(rng.normal(0, 8, n))) % 360
        for h in range(n):
            if station == "beta" and 700 <= h < 705:
                continue  # station outage: a gap
            t = start + timedelta(hours=int(h))
            rows.append({
                "station": station, "year": t.year, "month": t.month, "day": t.day, "hour": t.hour,
                "temp": f"{temp[h]:.2f}",
                "pressure": "-9999" if rng.random() < 0.01 else f"{pressure[h]:.1f}",
                "humidity": "" if rng.random() < 0.03 else f"{humidity[h]:.1f}",
                "wind_speed": f"{speed[h]:.2f}", "wind_deg": f"{degrees[h]:.0f}",
            })
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "weather" / "weather.csv")
    args = parser.parse_args(argv)
    rows = make_rows()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {len(rows)} rows to {args.out}")


if __name__ == "__main__":
    main()
