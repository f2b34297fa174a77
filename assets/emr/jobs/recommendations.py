"""Recommendations: implicit-feedback ALS on watch time, top N unplayed titles per user.

    spark-submit --py-files showrunner_events.py recommendations.py --events IN --output OUT [--top-n 10]

Writes JSON lines ``{"userId", "recommendations": [{"titleId", "score"}]}``
(DESIGN.md section 2), best first.

* **Watch time** of a user and title is the furthest position reached
  (``max(positionSec)`` over the user's valid events for the title, capped at
  6 hours). The ALS rating is ``log1p(minutes)``, so a binge counts more than
  a sample but does not drown everything else.
* **Played** means any valid event for the title. A played title is never
  recommended to that user: ALS ranks the top ``N + P`` titles, where ``P`` is
  the most titles any one user has played, and the played ones are removed,
  so N unplayed titles remain for every user who has N left to watch.
* ALS runs with a fixed seed; ties in score are ordered by ``titleId``.
* Users and titles get dense integer ids (ALS needs them) by sorting and
  ``zipWithIndex``, which scales, unlike a single-partition window.

Malformed lines are skipped, counted and reported (``showrunner_events``).
"""

from __future__ import annotations

from collections.abc import Sequence

import showrunner_events
from pyspark.ml.recommendation import ALS
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F  # noqa: N812 (the usual Spark spelling)

SEED = 20261126
RANK = 10
MAX_ITER = 10
REG_PARAM = 0.1
ALPHA = 1.0
MAX_WATCH_SEC = 6 * 3600.0
OUTPUT_SCHEMA = "userId STRING, recommendations ARRAY<STRUCT<titleId: STRING, score: DOUBLE>>"


def _dense_ids(spark: SparkSession, values: DataFrame, column: str, id_column: str) -> DataFrame:
    """``(column, id_column)`` with ids 0..n-1 in sorted order of ``column``."""
    indexed = values.select(column).distinct().orderBy(column).rdd.zipWithIndex()
    return spark.createDataFrame(indexed.map(lambda pair: (pair[0][0], pair[1])), f"{column} STRING, {id_column} INT")


def recommendations(spark: SparkSession, events: DataFrame, top_n: int) -> DataFrame:
    watched = (
        events.groupBy("userId", "titleId")
        .agg(F.max(F.least(F.col("positionSec"), F.lit(MAX_WATCH_SEC))).alias("watchSec"))
        .persist()
    )
    # Persisted: each is used by several actions below, and would otherwise rerun the
    # aggregation, the sort and the zipWithIndex job every time.
    users = _dense_ids(spark, watched, "userId", "user").persist()
    titles = _dense_ids(spark, watched, "titleId", "item").persist()
    ratings = (
        watched.join(users, "userId")
        .join(titles, "titleId")
        .select("user", "item", F.log1p(F.col("watchSec") / 60.0).alias("rating"))
        .persist()
    )

    blocks = max(2, min(spark.sparkContext.defaultParallelism, 200))
    als = ALS(
        userCol="user",
        itemCol="item",
        ratingCol="rating",
        implicitPrefs=True,
        rank=RANK,
        maxIter=MAX_ITER,
        regParam=REG_PARAM,
        alpha=ALPHA,
        nonnegative=True,
        seed=SEED,
        # One block per core (ALS's default is 10): fewer, larger tasks on a small cluster or local[2].
        numUserBlocks=blocks,
        numItemBlocks=blocks,
    )
    model = als.fit(ratings)

    title_count = titles.count()
    most_played = ratings.groupBy("user").count().agg(F.max("count")).collect()[0][0]
    ranked = model.recommendForAllUsers(min(title_count, top_n + most_played))

    candidates = ranked.select("user", F.explode("recommendations").alias("r")).select(
        "user", F.col("r.item").alias("item"), F.col("r.rating").alias("score")
    )
    unplayed = candidates.join(ratings.select("user", "item"), ["user", "item"], "left_anti").join(
        F.broadcast(titles), "item"
    )
    order = Window.partitionBy("user").orderBy(F.col("score").desc(), F.col("titleId").asc())
    top = (
        unplayed.withColumn("position", F.row_number().over(order))
        .where(F.col("position") <= top_n)
        .groupBy("user")
        .agg(
            F.array_sort(
                F.collect_list(F.struct("position", "titleId", F.round("score", 6).cast("double").alias("score")))
            ).alias("ranked")
        )
    )
    return (
        users.join(top, "user", "left")
        .select(
            "userId",
            F.coalesce(
                F.transform("ranked", lambda r: F.struct(r["titleId"].alias("titleId"), r["score"].alias("score"))),
                F.array(),
            ).alias("recommendations"),
        )
        .orderBy("userId")
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = showrunner_events.parse_args("Top-N unplayed titles per user, by implicit ALS on watch time.", argv)
    spark = showrunner_events.spark_session("showrunner-recommendations")
    events = showrunner_events.read_events(spark, args.events)
    if events.valid == 0:
        result = spark.createDataFrame([], OUTPUT_SCHEMA)
    else:
        result = recommendations(spark, events.frame, args.top_n).persist()
    result.write.mode("overwrite").json(args.output)
    showrunner_events.report("recommendations", events, users=result.count(), topN=args.top_n)
    spark.stop()


if __name__ == "__main__":
    main()
