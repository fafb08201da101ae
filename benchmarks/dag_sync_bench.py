#!/usr/bin/env python3
"""airflow-dag-sync against the seed's ``aws s3 sync s3://... DIR --exact-timestamps --delete``.

One local emulator (``python -m local_aws`` in its own process, so its CPU is not counted),
then for each size (default 1,000 and 10,000 small objects):

1. first sync wall time (process start -> tree complete), CLI vs the resident program;
2. no-op cycle wall and CPU time: the CLI as the seed runs it (one process per cycle,
   CPU from ``wait4`` rusage), the program's resident cycles (its own ``cpu_s`` per cycle);
3. S3 requests per no-op cycle, counted by the emulator;
4. pickup latency (put returns -> file visible with the new content), p50/p95 over
   ``--changes`` puts at random phases, with the cadence scaled by ``--cadence-scale``
   (0.1: interval 3 s, jitter 1 s, back-off 6-9 s) for the seed's loop and for the program,
   then for the program in event mode (S3 -> SQS notifications).

Prints a Markdown table with ratios and targets; ``--json FILE`` also writes raw numbers.
Run from the repository root: ``.venv/bin/python benchmarks/dag_sync_bench.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "files" / "sidecar" / "src"
sys.path.insert(0, str(ROOT))

from local_aws.server import fetch_calls  # noqa: E402

AWS_CLI = str(Path(sys.executable).with_name("aws"))
CREDS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}
PREFIX = "dev"


def process_cpu(pid: int) -> float | None:
    """user + system CPU seconds of a running process (Linux /proc), imports included."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


class Emulator:
    def __init__(self, workdir: Path):
        url_file = workdir / "emulator.url"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(CREDS)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "local_aws", "--url-file", str(url_file)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while not (url_file.exists() and url_file.read_text().strip()):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("emulator did not start")
            time.sleep(0.05)
        self.url = url_file.read_text().strip()

    def s3_calls(self, reset: bool = False) -> int:
        return sum(1 for c in fetch_calls(self.url, reset=reset) if c["service"] == "s3")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def base_env(url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DAG_SYNC_"))}
    env.update(CREDS, AWS_ENDPOINT_URL=url)
    return env


# -- the seed's CLI -----------------------------------------------------------------------
def cli_sync(env: dict, bucket: str, dest: Path) -> tuple[float, float, str]:
    """One ``aws s3 sync`` process: (wall, user+sys CPU, output)."""
    with tempfile.TemporaryFile("w+") as out:
        started = time.monotonic()
        proc = subprocess.Popen(
            [AWS_CLI, "s3", "sync", f"s3://{bucket}/{PREFIX}/", str(dest), "--exact-timestamps", "--delete"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    if proc.returncode != 0:
        raise RuntimeError(f"aws s3 sync failed ({proc.returncode}): {text[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime, text


class SeedLoop(threading.Thread):
    """The seed's entrypoint.sh, with its sleeps multiplied by ``scale``."""

    def __init__(self, env: dict, bucket: str, dest: Path, scale: float):
        super().__init__(daemon=True)
        self.env, self.bucket, self.dest, self.scale = env, bucket, dest, scale
        self.stop = threading.Event()
        self.rng = random.Random(7)

    def run(self) -> None:
        base, jitter, noop = 30 * self.scale, 10 * self.scale, 0
        while not self.stop.is_set():
            try:
                _, _, output = cli_sync(self.env, self.bucket, self.dest)
                if "download:" in output or "delete:" in output:
                    noop, sleep = 0, base
                else:
                    noop += 1
                    sleep = (60 + self.rng.randrange(30)) * self.scale if noop >= 5 else base
            except RuntimeError:
                sleep = base
            self.stop.wait(sleep + self.rng.random() * jitter)


# -- the program ----------------------------------------------------------------------------
class Program:
    def __init__(self, env: dict, dest: Path, **settings):
        self.env = dict(env, PYTHONPATH=str(SRC), DAG_SYNC_DEST=str(dest))
        self.env.update({k: str(v) for k, v in settings.items()})
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "airflow_dag_sync"],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.cycles: list[tuple[float, dict]] = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("event") == "cycle":
                record["process_cpu_s"] = process_cpu(self.proc.pid)
                with self.cond:
                    self.cycles.append((time.monotonic(), record))
                    self.cond.notify_all()

    def wait_cycles(self, count: int, timeout: float = 900) -> list[tuple[float, dict]]:
        with self.cond:
            ok = self.cond.wait_for(
                lambda: len(self.cycles) >= count or self.proc.poll() is not None, timeout
            )
            if not ok or len(self.cycles) < count:
                raise RuntimeError(f"program produced {len(self.cycles)} cycles, wanted {count}")
            return list(self.cycles)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)


def populate(s3, bucket: str, count: int) -> None:
    s3.create_bucket(Bucket=bucket)
    body = b"# a small DAG file\n" + b"x" * 480 + b"\n"

    def put(i: int) -> None:
        s3.put_object(Bucket=bucket, Key=f"{PREFIX}/team{i % 50:02d}/dag_{i:05d}.py", Body=body)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, range(count)))


def pickup(s3, bucket: str, dest: Path, label: str, changes: int, phase: float, seed: int) -> list[float]:
    """Put ``changes`` new files at random phases; seconds from put-returned to visible."""
    rng = random.Random(seed)
    latencies = []
    for i in range(changes):
        time.sleep(rng.uniform(0, phase))
        rel = f"pickup/{label}_{i:03d}.py"
        body = f"# change {label} {i} {time.time_ns()}\n".encode()
        s3.put_object(Bucket=bucket, Key=f"{PREFIX}/{rel}", Body=body)
        put_done = time.monotonic()
        path = dest / rel
        deadline = put_done + 600
        while True:
            try:
                if path.read_bytes() == body:
                    break
            except FileNotFoundError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{label}: {rel} never appeared")
            time.sleep(0.005)
        latencies.append(time.monotonic() - put_done)
    return latencies


def bench_size(emu: Emulator, s3, size: int, args, workdir: Path) -> dict:
    env = base_env(emu.url)
    bucket = f"bench-{size}-{int(time.time())}"
    print(f"[{size}] populating {bucket} ...", flush=True)
    t0 = time.monotonic()
    populate(s3, bucket, size)
    print(f"[{size}] populated in {time.monotonic() - t0:.0f}s", flush=True)
    result: dict = {"size": size}
    cli_dest, our_dest = workdir / f"cli-{size}", workdir / f"ours-{size}"
    scale = args.cadence_scale
    program_env = dict(
        env, DAGS_BUCKET=bucket, ENV=PREFIX, DAG_SYNC_HEALTH_FILE=str(workdir / f"health-{size}")
    )

    # 1. first sync, alternating, fresh directories each time
    cli_first, our_first = [], []
    for repeat in range(args.first_repeats):
        shutil.rmtree(cli_dest, ignore_errors=True)
        cli_dest.mkdir()
        wall, cpu, _ = cli_sync(env, bucket, cli_dest)
        cli_first.append((wall, cpu))
        print(f"[{size}] CLI first sync #{repeat + 1}: {wall:.2f}s wall, {cpu:.2f}s CPU", flush=True)

        shutil.rmtree(our_dest, ignore_errors=True)
        our_dest.mkdir()
        last = repeat == args.first_repeats - 1
        prog = Program(
            program_env,
            our_dest,
            DAG_SYNC_INTERVAL=1,
            DAG_SYNC_JITTER=0,
            DAG_SYNC_BACKOFF_AFTER=10**6,
        )
        (stamp, first), *_ = prog.wait_cycles(1)
        assert first["result"] == "ok" and first["added"] == size, first
        our_first.append((stamp - prog.started, first["process_cpu_s"]))
        print(f"[{size}] program first sync #{repeat + 1}: {stamp - prog.started:.2f}s wall", flush=True)
        if not last:
            prog.stop()
            continue
        # 2./3. resident no-op cycles; S3 requests counted by the emulator over whole cycles
        prog.wait_cycles(2)
        emu.s3_calls(reset=True)
        base = len(prog.cycles)
        cycles = prog.wait_cycles(base + args.noop_cycles)[base:]
        s3_requests = emu.s3_calls()
        prog.stop()
        noops = [c for _, c in cycles if c["result"] == "noop"]
        assert len(noops) == len(cycles), [c["result"] for _, c in cycles]
        # calls may include at most the next cycle's first page; count whole cycles only
        result["our_noop_wall"] = statistics.median(c["duration_s"] for c in noops)
        result["our_noop_cpu"] = statistics.median(c["cpu_s"] for c in noops)
        result["our_noop_requests"] = statistics.median(c["s3_calls"] for c in noops)
        result["our_noop_requests_emulator"] = s3_requests / len(noops)

    result["cli_first_wall"] = statistics.median(w for w, _ in cli_first)
    result["cli_first_cpu"] = statistics.median(c for _, c in cli_first)
    result["our_first_wall"] = statistics.median(w for w, _ in our_first)
    result["our_first_cpu"] = statistics.median(c for _, c in our_first)

    cli_noop = []
    for _ in range(args.noop_cycles):
        emu.s3_calls(reset=True)
        wall, cpu, _ = cli_sync(env, bucket, cli_dest)
        cli_noop.append((wall, cpu, emu.s3_calls()))
    result["cli_noop_wall"] = statistics.median(w for w, _, _ in cli_noop)
    result["cli_noop_cpu"] = statistics.median(c for _, c, _ in cli_noop)
    result["cli_noop_requests"] = statistics.median(n for _, _, n in cli_noop)
    print(
        f"[{size}] no-op: CLI {result['cli_noop_wall']:.2f}s/{result['cli_noop_cpu']:.2f}s CPU, "
        f"program {result['our_noop_wall']:.3f}s/{result['our_noop_cpu']:.3f}s CPU",
        flush=True,
    )

    # 4. pickup latency with the cadence scaled down
    interval, jitter = 30 * scale, 10 * scale
    if not args.skip_pickup:
        loop = SeedLoop(env, bucket, cli_dest, scale)
        loop.start()
        time.sleep(interval)
        result["cli_pickup"] = pickup(s3, bucket, cli_dest, "cli", args.changes, interval, 1)
        loop.stop.set()
        loop.join()
        print(f"[{size}] CLI pickup p95 {pct(result['cli_pickup'], 0.95):.2f}s", flush=True)

        prog = Program(
            program_env,
            our_dest,
            DAG_SYNC_INTERVAL=interval,
            DAG_SYNC_JITTER=jitter,
            DAG_SYNC_BACKOFF_MIN=60 * scale,
            DAG_SYNC_BACKOFF_MAX=90 * scale,
        )
        prog.wait_cycles(1)
        result["our_pickup"] = pickup(s3, bucket, our_dest, "poll", args.changes, interval, 2)
        prog.stop()
        print(f"[{size}] program pickup p95 {pct(result['our_pickup'], 0.95):.2f}s", flush=True)

    if not args.skip_event:
        sqs = _sqs(emu.url)
        queue_url = sqs.create_queue(QueueName=f"{bucket}-events")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        s3.put_bucket_notification_configuration(
            Bucket=bucket,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "QueueArn": arn,
                        "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
                        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": f"{PREFIX}/"}]}},
                    }
                ]
            },
        )
        prog = Program(program_env, our_dest, DAG_SYNC_QUEUE_URL=queue_url, DAG_SYNC_RECONCILE_INTERVAL=300)
        prog.wait_cycles(1)
        result["event_pickup"] = pickup(s3, bucket, our_dest, "event", args.changes, interval, 3)
        prog.stop()
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
        print(f"[{size}] event pickup p95 {pct(result['event_pickup'], 0.95):.2f}s", flush=True)
    return result


def _sqs(url: str):
    import boto3

    return boto3.client("sqs", endpoint_url=url, region_name="us-east-1", **_boto_creds())


def _boto_creds() -> dict:
    return {
        "aws_access_key_id": CREDS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDS["AWS_SECRET_ACCESS_KEY"],
    }


def table(results: list[dict], scale: float) -> str:
    limit = (30 + 10) * scale + 1
    rows = [
        "| objects | measure | `aws s3 sync` (seed) | airflow-dag-sync | ratio (dag-sync / CLI) "
        "| target | met |",
        "|---:|---|---:|---:|---:|---|:-:|",
    ]

    def row(size, name, cli, ours, target="", met=None, fmt="{:.2f}"):
        ratio = f"{ours / cli:.3f}" if cli and ours is not None else ""
        mark = "" if met is None else ("yes" if met else "**no**")
        rows.append(
            f"| {size:,} | {name} | {fmt.format(cli) if cli is not None else '-'} | "
            f"{fmt.format(ours) if ours is not None else '-'} | {ratio} | {target} | {mark} |"
        )

    for r in results:
        n = r["size"]
        row(
            n,
            "first sync, wall s",
            r["cli_first_wall"],
            r["our_first_wall"],
            "<= CLI",
            r["our_first_wall"] <= r["cli_first_wall"],
        )
        row(n, "first sync, CPU s", r["cli_first_cpu"], r["our_first_cpu"])
        row(n, "no-op cycle, wall s", r["cli_noop_wall"], r["our_noop_wall"], fmt="{:.3f}")
        row(
            n,
            "no-op cycle, CPU s",
            r["cli_noop_cpu"],
            r["our_noop_cpu"],
            "<= 0.2 x CLI",
            r["our_noop_cpu"] <= 0.2 * r["cli_noop_cpu"],
            fmt="{:.3f}",
        )
        row(
            n,
            "S3 requests per no-op cycle",
            r["cli_noop_requests"],
            r["our_noop_requests_emulator"],
            fmt="{:.1f}",
        )
        if "cli_pickup" in r:
            row(n, "pickup p50, s (polling)", pct(r["cli_pickup"], 0.5), pct(r["our_pickup"], 0.5))
            row(
                n,
                "pickup p95, s (polling)",
                pct(r["cli_pickup"], 0.95),
                pct(r["our_pickup"], 0.95),
                f"<= {limit:.1f} s",
                pct(r["our_pickup"], 0.95) <= limit,
            )
        if "event_pickup" in r:
            row(n, "pickup p50, s (event mode)", None, pct(r["event_pickup"], 0.5))
            row(
                n,
                "pickup p95, s (event mode)",
                None,
                pct(r["event_pickup"], 0.95),
                "< 2 s",
                pct(r["event_pickup"], 0.95) < 2,
            )
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--changes", type=int, default=20, help="puts per pickup measurement (>= 20)")
    parser.add_argument("--cadence-scale", type=float, default=0.1, help="multiplies 30 s / 10 s / 60-90 s")
    parser.add_argument("--noop-cycles", type=int, default=5)
    parser.add_argument("--first-repeats", type=int, default=1)
    parser.add_argument("--skip-pickup", action="store_true")
    parser.add_argument("--skip-event", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the raw numbers here")
    args = parser.parse_args()
    if not Path(AWS_CLI).exists():
        parser.error(f"no AWS CLI next to {sys.executable} (pip install awscli)")

    import boto3

    workdir = Path(tempfile.mkdtemp(prefix="dag-sync-bench-"))
    emu = Emulator(workdir)
    try:
        s3 = boto3.client("s3", endpoint_url=emu.url, region_name="us-east-1", **_boto_creds())
        results = [bench_size(emu, s3, size, args, workdir) for size in args.sizes]
    finally:
        emu.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    load = os.getloadavg()
    print()
    print(
        f"cadence scale {args.cadence_scale} (interval {30 * args.cadence_scale:g} s, jitter "
        f"{10 * args.cadence_scale:g} s); {args.changes} changes per pickup series; "
        f"{os.cpu_count()} CPUs, load average {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}"
    )
    print()
    print(table(results, args.cadence_scale))
    if args.json:
        args.json.write_text(
            json.dumps({"args": vars(args) | {"json": str(args.json)}, "results": results}, indent=1)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
