"""One CSV export of the calls behind a range, consumed as a browser would; prints a JSON line.

Run in its own process by the benchmark so that the peak memory it reports is this export's.
"""

import json
import os
import resource
import sys
import time
from datetime import date

from bench.reports import django_setup, staff_client


def main(date_from: date, date_to: date) -> None:
    django_setup(os.environ["DATABASE_URL"])
    client = staff_client()
    started = time.perf_counter()
    response = client.get("/reports/calls.csv", {"from": date_from, "to": date_to})
    rows = size = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        rows += chunk.count(b"\n")
    print(
        json.dumps(
            {
                "rows": rows - 1,  # the header
                "bytes": size,
                "seconds": time.perf_counter() - started,
                # Linux reports the peak resident set in kilobytes.
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


if __name__ == "__main__":
    main(date.fromisoformat(sys.argv[1]), date.fromisoformat(sys.argv[2]))
