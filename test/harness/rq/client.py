"""Enqueue a job on the harness's RQ worker and report it as JSON.

    python client.py --url REDIS_URL --queue QUEUE run jobs.add '[1, 2]' [--timeout 30]
    python client.py --url REDIS_URL --queue QUEUE enqueue jobs.sleep_then '[5, "x"]'
    python client.py --url REDIS_URL status JOB_ID

``run`` waits until the job finished or failed (exit code 1 on timeout) and prints
{"id", "status", "result", "worker"}; ``enqueue`` prints {"id", "status"}.
"""

import argparse
import json
import sys
import time

from redis import Redis
from rq import Queue
from rq.job import Job


def describe(job):
    job.refresh()
    status = job.get_status()
    return {
        "id": job.id,
        "status": status.value if hasattr(status, "value") else str(status),
        "result": job.return_value() if status == "finished" else None,
        "worker": job.worker_name,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--queue", default="harness")
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("command", choices=["run", "enqueue", "status"])
    parser.add_argument("target")
    parser.add_argument("args", nargs="?", default="[]")
    options = parser.parse_args()
    connection = Redis.from_url(options.url)
    if options.command == "status":
        print(json.dumps(describe(Job.fetch(options.target, connection=connection))))
        return 0
    job = Queue(options.queue, connection=connection).enqueue(options.target, *json.loads(options.args))
    if options.command == "enqueue":
        print(json.dumps({"id": job.id, "status": job.get_status().value}))
        return 0
    deadline = time.monotonic() + options.timeout
    while time.monotonic() < deadline:
        report = describe(job)
        if report["status"] in ("finished", "failed", "stopped", "canceled"):
            print(json.dumps(report))
            return 0
        time.sleep(0.1)
    print(json.dumps(describe(job)))
    return 1


if __name__ == "__main__":
    sys.exit(main())
