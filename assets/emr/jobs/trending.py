"""Trending titles: the most-played titles per UTC date and country.

    spark-submit --py-files showrunner_events.py trending.py --events IN --output OUT [--top-n 10]

Writes JSON lines ``{"date", "country", "rank", "titleId", "plays"}`` (DESIGN.md section 2):

* ``plays`` is the number of distinct users with a ``play`` event for that
  title, country and UTC date (event timestamps with an offset are converted
  to UTC first);
* rank 1 has the most plays; ties are ordered by ``titleId`` (ascending,
  byte order), so the output is the same on every run;
* at most ``--top-n`` rows per date and country.

Malformed lines are skipped, counted and reported (``showrunner_events``).
"""

from __future__ import annotations

from collections.abc import Sequence

import showrunner_events
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F  # noqa: N812 (the usual Spark spelling)


def trending(events: DataFrame, top_n: int) -> DataFrame:
    plays = (
        events.where(F.col("type") == "play")
        .select(F.date_format("ts", "yyyy-MM-dd").alias("date"), "country", "titleId", "userId")
        .groupBy("date", "country", "titleId")
        .agg(F.countDistinct("userId").alias("plays"))
    )
    order = Window.partitionBy("date", "country").orderBy(F.col("plays").desc(), F.col("titleId").asc())
    return (
        plays.withColumn("rank", F.row_number().over(order))
        .where(F.col("rank") <= top_n)
        .select("date", "country", "rank", "titleId", "plays")
        .orderBy("date", "country", "rank")
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = showrunner_events.parse_args("Trending titles per UTC date and country.", argv)
    spark = showrunner_events.spark_session("showrunner-trending")
    events = showrunner_events.read_events(spark, args.events)
    result = trending(events.frame, args.top_n).persist()
    result.write.mode("overwrite").json(args.output)
    showrunner_events.report("trending", events, rows=result.count(), topN=args.top_n)
    spark.stop()


if __name__ == "__main__":
    main()
