#!/usr/bin/env python3
"""airflow-dag-sync against the seed's ``aws s3 sync s3://... DIR --exact-timestamps --delete``.

One local emulator (``python -m local_aws`` in its own process, so its CPU is not counted),
then for each size (default 1,000 and 10,000 small objects):

1. first sync wall time (process start -> tree complete), CLI vs the resident program;
2. no-op cycle wall and CPU time: the CLI as the seed runs it (one process per cycle,
   CPU from ``wait4`` rusage), the program's resident cycles (its own ``cpu_s`` per cycle);
3. S3 requests per no-op cycle, counted by the emulator;
4. pickup latency (put returns -> file visible with the new content), p50/p95 over
   ``--changes`` puts at random phases, for the seed's loop and for the program at the same
   scaled cadence, then for the program in event mode (S3 -> SQS notifications).

The pickup cadence is chosen per size: ``--cadence-scale`` (0.1: interval 3 s, jitter 1 s,
back-off 6-9 s) unless the program's measured no-op cycle (the listing) is longer than
1/``--listing-factor`` of that interval; then the scale is raised, in steps of 0.1, until the
interval is ``--listing-factor`` (5) times the listing, but never above
``--max-cadence-scale`` (1.0: the real 30 s + 10 s cadence). The target, p95 <= interval +
jitter + 1 s, assumes a cycle that lists in about a second (10,000 keys on S3); the
emulator needs ~0.5 s per 1,000-key page, so at 3 s cycles would run back to back and
every change would wait up to two listings. ``--cadence-scale-for SIZE=SCALE`` fixes it.

Prints a Markdown table with ratios and targets; ``--json FILE`` also writes raw numbers.
Run from the repository root: ``.venv/bin/python benchmarks/dag_sync_bench.py``.
"""

from __future__ import annotations

import argparse
import json
import math
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


def pickup_scale(
    listing_s: float, floor: float, factor: float, cap: float, override: float | None = None
) -> float:
    """Cadence scale for one size's pickup series (see the module docstring).

    The smallest multiple of 0.1 at or above ``floor`` whose interval (30 s x scale) is at
    least ``factor`` x ``listing_s``, capped at ``cap``; ``override`` wins when given.
    """
    if override is not None:
        return override
    needed = math.ceil(round(factor * listing_s / 30 * 10, 6)) / 10
    return round(min(cap, max(floor, needed)), 3)


def bench_size(emu: Emulator, s3, size: int, args, workdir: Path) -> dict:
    env = base_env(emu.url)
    bucket = f"bench-{size}-{int(time.time())}"
    print(f"[{size}] populating {bucket} ...", flush=True)
    t0 = time.monotonic()
    populate(s3, bucket, size)
    print(f"[{size}] populated in {time.monotonic() - t0:.0f}s", flush=True)
    result: dict = {"size": size}
    cli_dest, our_dest = workdir / f"cli-{size}", workdir / f"ours-{size}"
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

    # 4. pickup latency with the cadence scaled down (per size: see pickup_scale)
    scale = pickup_scale(
        result["our_noop_wall"],
        args.cadence_scale,
        args.listing_factor,
        args.max_cadence_scale,
        args.cadence_scale_for.get(size),
    )
    interval, jitter = 30 * scale, 10 * scale
    result.update(cadence_scale=scale, interval=interval, jitter=jitter, pickup_target=interval + jitter + 1)
    print(
        f"[{size}] pickup cadence scale {scale:g}: interval {interval:g} s, jitter {jitter:g} s "
        f"(program no-op cycle {result['our_noop_wall']:.2f} s)",
        flush=True,
    )
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
        # events do not wait for a cycle: the spacing of the puts does not matter, keep it short
        spacing = 30 * args.cadence_scale
        result["event_pickup"] = pickup(s3, bucket, our_dest, "event", args.changes, spacing, 3)
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


def cadence_notes(results: list[dict]) -> list[str]:
    """One line per size: the pickup cadence used and the target computed from it."""
    return [
        f"- {r['size']:,} objects: pickup cadence scale {r['cadence_scale']:g} (interval "
        f"{r['interval']:g} s, jitter 0-{r['jitter']:g} s, back-off {60 * r['cadence_scale']:g}-"
        f"{90 * r['cadence_scale']:g} s); the program's no-op cycle took {r['our_noop_wall']:.2f} s; "
        f"polling target p95 <= {r['interval']:g} + {r['jitter']:g} + 1 = {r['pickup_target']:g} s"
        for r in results
        if "cadence_scale" in r
    ]


def table(results: list[dict]) -> str:
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
            limit = r["pickup_target"]
            label = f"polling, interval {r['interval']:g} s + jitter {r['jitter']:g} s"
            row(n, f"pickup p50, s ({label})", pct(r["cli_pickup"], 0.5), pct(r["our_pickup"], 0.5))
            row(
                n,
                f"pickup p95, s ({label})",
                pct(r["cli_pickup"], 0.95),
                pct(r["our_pickup"], 0.95),
                f"<= {limit:.1f} s ({r['interval']:g}+{r['jitter']:g}+1)",
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


def _size_scale(text: str) -> tuple[int, float]:
    size, _, scale = text.partition("=")
    try:
        return int(size), float(scale)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: use SIZE=SCALE, e.g. 10000=1.0") from None


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--changes", type=int, default=20, help="puts per pickup measurement (>= 20)")
    parser.add_argument(
        "--cadence-scale",
        type=float,
        default=0.1,
        help="multiplies 30 s / 10 s / 60-90 s for the pickup series (the floor; see --listing-factor)",
    )
    parser.add_argument(
        "--listing-factor",
        type=float,
        default=5.0,
        help="raise the scale per size until the interval is this many times the program's no-op cycle",
    )
    parser.add_argument("--max-cadence-scale", type=float, default=1.0, help="cap (1.0: the real cadence)")
    parser.add_argument(
        "--cadence-scale-for",
        type=_size_scale,
        action="append",
        default=[],
        metavar="SIZE=SCALE",
        help="fixed cadence scale for one size (overrides the automatic choice)",
    )
    parser.add_argument("--noop-cycles", type=int, default=5)
    parser.add_argument("--first-repeats", type=int, default=1)
    parser.add_argument("--skip-pickup", action="store_true")
    parser.add_argument("--skip-event", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the raw numbers here")
    args = parser.parse_args()
    args.cadence_scale_for = dict(args.cadence_scale_for)
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
        f"{args.changes} changes per pickup series; cadence scale floor {args.cadence_scale:g}, "
        f"listing factor {args.listing_factor:g}, cap {args.max_cadence_scale:g}; "
        f"{os.cpu_count()} CPUs, load average {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}"
    )
    print("\n".join(cadence_notes(results)))
    print()
    print(table(results))
    if args.json:
        args.json.write_text(
            json.dumps({"args": vars(args) | {"json": str(args.json)}, "results": results}, indent=1)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
