"""What reading a long silver history costs by itself (issue 15, the history case).

Writes a silver-like Parquet table (`--turbines` turbines, `--days` days at `--interval`
minutes, 14 value columns) twice: as 2 bulk files (a backfill landed in one batch) and as
one file per day (time order), then times a gold_turbine_status-like query (each
turbine's latest reading of the last 6 h) with the window's end as a literal and as the
scalar subquery that `as_of = "latest"` uses. Best of 4 runs each, plain local Spark on
all cores. The pipeline's 30-day update takes ~13 s more than its 1-day one; if this scan
is a fraction of a second, the scan is not where that time goes.

Run: .venv/bin/python benchmarks/silver_scan.py [--turbines 100] [--days 30] [--interval 10]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

START_S = 1767571200  # 2026-01-05 00:00 UTC


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turbines", type=int, default=100)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--interval", type=int, default=10, help="minutes between readings")
    args = parser.parse_args()
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    spark = (
        SparkSession.builder.master("local[*]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    moments = args.days * 24 * 60 // args.interval
    frame = (
        spark.range(args.turbines * moments)
        .withColumn("turbine_id", (F.col("id") % args.turbines).cast("int"))
        .withColumn("moment", (F.col("id") / args.turbines).cast("long"))
        .withColumn(
            "timestamp", (F.lit(START_S) + F.col("moment") * args.interval * 60).cast("timestamp")
        )
        .withColumn("reading_date", F.to_date("timestamp"))
        .drop("id", "moment")
    )
    for k in range(14):
        frame = frame.withColumn(f"value_{k}", F.rand(k))
    end = START_S + (moments - 1) * args.interval * 60
    root = Path(tempfile.mkdtemp(prefix="silver-scan-"))
    frame.repartition(2).write.parquet(str(root / "bulk"))
    frame.repartitionByRange(args.days, "timestamp").sortWithinPartitions(
        "timestamp"
    ).write.parquet(str(root / "daily"))
    print(f"{args.turbines * moments:,} rows ({args.turbines} turbines, {args.days} days)")
    for layout in ("bulk", "daily"):
        spark.read.parquet(str(root / layout)).createOrReplaceTempView(layout)
        files = len(list((root / layout).glob("*.parquet")))
        for bound in ("literal", "subquery"):
            as_of = (
                f"timestamp_seconds({end})"
                if bound == "literal"
                else f"(SELECT max(timestamp) FROM {layout} "
                f"WHERE reading_date >= (SELECT max(reading_date) FROM {layout}))"
            )
            query = (
                f"SELECT turbine_id, max_by(value_0, timestamp) AS value_0, count(*) AS n "
                f"FROM {layout} WHERE reading_date >= to_date({as_of} - INTERVAL 6 HOURS) "
                f"AND timestamp > {as_of} - INTERVAL 6 HOURS GROUP BY turbine_id"
            )
            best = float("inf")
            for _ in range(4):
                began = time.perf_counter()
                rows = spark.sql(query).collect()
                best = min(best, time.perf_counter() - began)
            print(
                f"  {layout} ({files} files), {bound} bound: {best:.2f} s "
                f"({len(rows)} turbines, {sum(r.n for r in rows):,} readings in the window)"
            )
    spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
