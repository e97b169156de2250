#!/usr/bin/python3
"""A sold-out on-sale, the load an on-sale's first seconds bring: far more buyers than
seats, each buyer one reservation request, sent at a fixed rate (open loop) by ft-loadgen,
which then polls each token honouring pollAfterMs, as `make bench` does. Most requests are
refused (SOLD_OUT, SEAT_TAKEN), the cheapest mix there is; `make bench` measures the
dearer one, where most requests are held. Prints one JSON line per run (accepted and
decided per s, the held share, p50/p99 to 202, CPU per decided request by process group).

    bench/soldout_onsale.py [--rate 25000] [--seconds 10] [--schedules 5] [--runs 2]

Like `make bench`: stops the services of `make up`, starts its own on a fresh database
(fairticket_bench) and fresh topics, warms the broker up first, and leaves PostgreSQL and
Kafka running. Needs the release build (make build)."""
import argparse
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the benchmark's own helpers: database, stack, load generator, CPU)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=25000, help="requests per second offered")
    parser.add_argument("--seconds", type=int, default=10, help="length of each on-sale")
    parser.add_argument("--schedules", type=int, default=5, help="schedules of 10,000 seats per on-sale")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    requests = args.rate * args.seconds
    warm_sets = 12  # the warm-up's own schedules, as many as a 10-s bench on-sale uses

    topics, ids, first_user, portone = bench.bench_setup(warm_sets + args.runs * args.schedules, requests)
    try:
        bench.start_services(topics, portone)
        with tempfile.TemporaryDirectory() as tmp:
            bench.warm_up(tmp, ids[:warm_sets], 20000, first_user, args.seconds, portone)
            for run in range(args.runs):
                schedules = ids[warm_sets + run * args.schedules:warm_sets + (run + 1) * args.schedules]
                doc, _, _ = bench.loadgen(tmp, f"soldout-{run + 1}", schedules, requests, first_user, portone, 0,
                                          ["--rate", str(args.rate), "--requests", str(requests),
                                           "--deadline", str(args.seconds + 60), "--seed", str(501 + run)], cpu=True)
                decided = doc["held"] + doc["rejected"]
                print(json.dumps({
                    "run": run + 1, "offered_per_s": args.rate, "requests": requests,
                    "seats": args.schedules * bench.ROWS * bench.SEATS_PER_ROW,
                    "accepted_per_s": round(doc["accepted_per_s"]), "decided_per_s": round(doc["decided_per_s"]),
                    "held_share": round(doc["held"] / max(decided, 1), 3),
                    "p50_ms_to_202": doc["ms_to_202"]["p50"], "p99_ms_to_202": doc["ms_to_202"]["p99"],
                    "unresolved": doc["unresolved"], "http_5xx": doc["http_5xx"],
                    "cpu_us_per_decided": {k: round(v, 1) for k, v in doc["cpu_us_per_decided"].items()}}),
                    flush=True)
                time.sleep(5)  # the pollers' last answers, before the next on-sale's CPU is counted
    finally:
        bench.bench_teardown(topics, portone)


if __name__ == "__main__":
    main()
