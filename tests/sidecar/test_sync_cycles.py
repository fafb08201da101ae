"""Sync cycles of the real program code against the emulator's S3 (in-process)."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from datetime import UTC

import pytest
from dagsync_helpers import local_files, make_syncer, tmp_files

MB = 1024 * 1024


def _multipart(s3env, key: str, parts: list[bytes]) -> str:
    s3 = s3env.s3
    upload = s3.create_multipart_upload(Bucket=s3env.bucket, Key=key)
    done = []
    for number, body in enumerate(parts, start=1):
        part = s3.upload_part(
            Bucket=s3env.bucket, Key=key, UploadId=upload["UploadId"], PartNumber=number, Body=body
        )
        done.append({"PartNumber": number, "ETag": part["ETag"]})
    result = s3.complete_multipart_upload(
        Bucket=s3env.bucket, Key=key, UploadId=upload["UploadId"], MultipartUpload={"Parts": done}
    )
    return result["ETag"]


def _manifest(dest) -> dict:
    return json.loads((dest / ".dag-sync" / "manifest.json").read_text())["files"]


def test_first_sync_brings_every_kind_of_object(s3env, dest):
    objects = {
        "dag_a.py": b"print('a')\n",
        "team/etl/deep/nested_dag.py": b"# nested\n" * 10,
        "ünïcødé/naïve dag.py": "# unicode ✓\n".encode(),
        "with space/file name with spaces.py": b"# spaces\n",
        "plus+and%percent.py": b"# odd characters\n",
        "empty.py": b"",
        "data/blob.bin": os.urandom(3 * MB + 17),
    }
    for key, body in objects.items():
        s3env.put(f"dev/{key}", body)
    multipart = [os.urandom(5 * MB), os.urandom(MB + 3)]
    etag = _multipart(s3env, "dev/data/multi.bin", multipart)
    assert etag.strip('"').endswith("-2")
    s3env.put("other-env/not_mine.py", b"x")  # outside the prefix

    syncer = make_syncer(s3env, dest)
    res = syncer.full_cycle(walk=True)

    assert res.result == "ok", res.fields()
    assert res.added == len(objects) + 1 and res.deleted == 0
    assert res.bytes == sum(map(len, objects.values())) + sum(map(len, multipart))
    expected = dict(objects, **{"data/multi.bin": b"".join(multipart)})
    assert local_files(dest) == expected
    assert _manifest(dest)["data/multi.bin"][0] == etag
    assert tmp_files(dest) == []


def test_noop_cycle_is_one_list_request(s3env, dest):
    for i in range(5):
        s3env.put(f"dev/d{i}.py", b"x" * i)
    syncer = make_syncer(s3env, dest)
    assert syncer.full_cycle(walk=True).result == "ok"
    mtimes = {p: p.stat().st_mtime_ns for p in dest.rglob("*.py")}

    s3env.reset_calls()
    res = syncer.full_cycle()

    assert res.result == "noop"
    assert res.s3_calls == 1
    calls = [c for c in s3env.calls() if c["service"] == "s3"]
    assert len(calls) == 1 and calls[0]["action"].startswith("GET"), calls
    assert {p: p.stat().st_mtime_ns for p in dest.rglob("*.py")} == mtimes


def test_change_with_same_size_add_and_delete(s3env, dest):
    s3env.put("dev/keep.py", b"AAAA")
    s3env.put("dev/change.py", b"1111")
    s3env.put("dev/sub/dir/gone.py", b"bye")
    syncer = make_syncer(s3env, dest)
    assert syncer.full_cycle(walk=True).result == "ok"

    s3env.put("dev/change.py", b"2222")  # same size, other content: only the ETag tells
    s3env.put("dev/new/added.py", b"new")
    s3env.delete("dev/sub/dir/gone.py")
    res = syncer.full_cycle()

    assert (res.result, res.added, res.changed, res.deleted) == ("ok", 1, 1, 1)
    assert local_files(dest) == {"keep.py": b"AAAA", "change.py": b"2222", "new/added.py": b"new"}
    assert not (dest / "sub").exists(), "directories emptied by deletions are pruned"


def test_multipart_object_replaced_by_same_size_multipart(s3env, dest):
    first = [b"a" * (5 * MB), b"b" * 10]
    _multipart(s3env, "dev/big.bin", first)
    syncer = make_syncer(s3env, dest)
    assert syncer.full_cycle().result == "ok"

    second = [b"c" * (5 * MB), b"d" * 10]
    _multipart(s3env, "dev/big.bin", second)
    res = syncer.full_cycle()

    assert (res.result, res.changed) == ("ok", 1)
    assert (
        hashlib.sha256((dest / "big.bin").read_bytes()).digest() == hashlib.sha256(b"".join(second)).digest()
    )


def test_keys_that_cannot_be_paths_are_skipped(s3env, dest, tmp_path):
    s3env.put("dev/good.py", b"ok")
    s3env.put("dev/folder/", b"")  # console-made folder marker
    s3env.put("dev/a/../../escape.py", b"evil")
    s3env.put("dev/double//slash.py", b"x")
    s3env.put("dev/.dag-sync/manifest.json", b"{}")  # the program's own state name
    s3env.put("dev/clash", b"file")
    s3env.put("dev/clash/inner.py", b"dir wins")
    syncer = make_syncer(s3env, dest)

    res = syncer.full_cycle(walk=True)

    assert res.result == "ok" and res.skipped == 5
    assert local_files(dest) == {"good.py": b"ok", "clash/inner.py": b"dir wins"}
    assert not (tmp_path / "escape.py").exists()


def test_strays_are_deleted_on_the_local_walk(s3env, dest):
    s3env.put("dev/dag.py", b"dag")
    for i in range(3):
        s3env.put(f"dev/other{i}.py", b"o")
    syncer = make_syncer(s3env, dest)
    assert syncer.full_cycle(walk=True).result == "ok"
    (dest / "hand_made.py").write_text("not from git")
    (dest / "dag.py").write_bytes(b"edited in place")  # tampered managed file
    (dest / "other0.py").unlink()  # lost managed file

    plain = syncer.full_cycle(walk=False)
    assert plain.result == "noop", "between walks the manifest is trusted"

    res = syncer.full_cycle(walk=True)
    assert res.result == "ok" and res.strays == 1 and res.deleted == 1
    assert local_files(dest) == {"dag.py": b"dag", "other0.py": b"o", "other1.py": b"o", "other2.py": b"o"}


def test_strays_are_kept_with_keep_policy(s3env, dest):
    s3env.put("dev/dag.py", b"dag")
    syncer = make_syncer(s3env, dest, DAG_SYNC_STRAY_POLICY="keep")
    (dest / "local_only.py").write_text("mine")

    res = syncer.full_cycle(walk=True)

    assert res.result == "ok" and res.strays == 1 and res.deleted == 0
    assert local_files(dest) == {"dag.py": b"dag", "local_only.py": b"mine"}


def test_empty_listing_is_refused(s3env, dest):
    for i in range(3):
        s3env.put(f"dev/d{i}.py", b"x")
    syncer = make_syncer(s3env, dest)
    assert syncer.full_cycle().result == "ok"
    before = local_files(dest)
    for i in range(3):
        s3env.delete(f"dev/d{i}.py")

    res = syncer.full_cycle()

    assert res.result == "refused" and "empty listing" in res.refused
    assert local_files(dest) == before


def test_mass_delete_guard_and_its_override(s3env, dest):
    for i in range(10):
        s3env.put(f"dev/d{i}.py", b"x")
    syncer = make_syncer(s3env, dest)
    assert syncer.full_cycle().result == "ok"
    for i in range(6):
        s3env.delete(f"dev/d{i}.py")

    res = syncer.full_cycle()
    assert res.result == "refused" and "6 of 10" in res.refused
    assert len(local_files(dest)) == 10

    s3env.put("dev/d0.py", b"x")  # now 5 of 10: at the limit, allowed
    res = syncer.full_cycle()
    assert (res.result, res.deleted) == ("ok", 5)

    for i in range(6, 9):
        s3env.delete(f"dev/d{i}.py")  # 3 of 5 > 50 %
    assert syncer.full_cycle().result == "refused"
    override = make_syncer(s3env, dest, DAG_SYNC_MAX_DELETE_FRACTION="1")
    res = override.full_cycle()
    assert (res.result, res.deleted) == ("ok", 3)
    assert set(local_files(dest)) == {"d0.py", "d9.py"}


def test_s3_failing_mid_cycle_leaves_the_tree_unchanged(s3env, dest):
    for i in range(6):
        s3env.put(f"dev/d{i}.py", f"v1 {i}".encode())
    syncer = make_syncer(s3env, dest, DAG_SYNC_WORKERS="2")
    assert syncer.full_cycle(walk=True).result == "ok"
    before = local_files(dest)
    manifest_before = _manifest(dest)
    for i in range(4):
        s3env.put(f"dev/d{i}.py", f"v2 {i}".encode())
    s3env.put("dev/added.py", b"new")
    s3env.delete("dev/d5.py")
    rule = s3env.faults.add(method="GET", path=r"/d2\.py$", status=503, code="SlowDown")

    res = syncer.full_cycle(walk=True)

    assert res.result == "error" and res.error_code == "SlowDown", res.fields()
    assert rule.hits == 3, "botocore's standard retries ran before giving up"
    assert local_files(dest) == before
    assert _manifest(dest) == manifest_before
    assert tmp_files(dest) == []

    s3env.faults.clear()
    res = syncer.full_cycle()
    assert (res.result, res.added, res.changed, res.deleted) == ("ok", 1, 4, 1)
    assert local_files(dest)["d2.py"] == b"v2 2"


def test_listing_failing_on_a_later_page_deletes_nothing(s3env, dest):
    for i in range(7):
        s3env.put(f"dev/d{i}.py", b"x")
    syncer = make_syncer(s3env, dest)
    syncer.list_page_size = 2
    assert syncer.full_cycle().result == "ok"
    s3env.faults.add(method="GET", query="continuation-token", status=500)

    res = syncer.full_cycle()

    assert res.result == "error"
    assert len(local_files(dest)) == 7


def test_lag_grows_while_s3_fails(s3env, dest):
    s3env.put("dev/d.py", b"x")
    syncer = make_syncer(s3env, dest)
    first = syncer.full_cycle()
    s3env.faults.add(method="GET", status=500)
    failing = [syncer.full_cycle() for _ in range(2)]
    s3env.faults.clear()
    recovered = syncer.full_cycle()
    after = syncer.full_cycle()

    assert first.result == "ok" and [f.result for f in failing] == ["error", "error"]
    assert failing[0].lag_s < failing[1].lag_s < recovered.lag_s
    assert after.lag_s < recovered.lag_s


def test_reader_never_sees_a_partial_file(s3env, dest):
    """A reader opens every file in a loop while cycles replace multi-MB files."""

    def body(version: int, name: str) -> bytes:
        payload = (f"{name}:{version}:".encode() * 200_000)[: 2 * MB + version * 1024]
        return payload + hashlib.sha256(payload).hexdigest().encode()

    names = [f"dags/file{i}.py" for i in range(4)]
    for name in names:
        s3env.put(f"dev/{name}", body(0, name))
    syncer = make_syncer(s3env, dest, DAG_SYNC_WORKERS="4")
    assert syncer.full_cycle().result == "ok"

    stop = threading.Event()
    bad: list[str] = []
    reads = [0]

    def reader():
        while not stop.is_set():
            for name in names:
                try:
                    with open(dest / name, "rb") as handle:
                        data = handle.read()
                except FileNotFoundError:
                    bad.append(f"{name} missing")
                    continue
                reads[0] += 1
                payload, digest = data[:-64], data[-64:]
                if hashlib.sha256(payload).hexdigest().encode() != digest:
                    bad.append(f"{name}: partial/corrupt read of {len(data)} bytes")

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for version in range(1, 6):
            for name in names:
                s3env.put(f"dev/{name}", body(version, name))
            res = syncer.full_cycle()
            assert (res.result, res.changed) == ("ok", len(names))
    finally:
        stop.set()
        thread.join()

    assert reads[0] > 20, "the reader must have raced the writer"
    assert bad == []


@pytest.mark.parametrize("count", [0, 1])
def test_empty_prefix_with_empty_tree_is_a_quiet_noop(s3env, dest, count):
    for i in range(count):
        s3env.put(f"dev/d{i}.py", b"x")
    syncer = make_syncer(s3env, dest)
    res = syncer.full_cycle(walk=True)
    assert res.result == ("ok" if count else "noop")


def test_fast_listing_matches_botocore_parse(s3env, dest):
    from datetime import datetime

    from airflow_dag_sync.s3 import _fast_list_page, list_prefix, make_clients

    for key in ("a.py", "with space.py", "plus+sign.py", "ünï/cødé.py", "empty.py"):
        s3env.put(f"dev/{key}", key.encode() if key != "empty.py" else b"")
    s3, _, _ = make_clients(1)
    fast, fast_pages = list_prefix(s3, s3env.bucket, "dev/", page_size=2)
    s3.meta.events.unregister("before-parse.s3.ListObjectsV2", _fast_list_page)
    slow, slow_pages = list_prefix(s3, s3env.bucket, "dev/", page_size=2)

    assert fast_pages == slow_pages == 3
    assert (
        sorted(fast)
        == sorted(slow)
        == sorted(["a.py", "with space.py", "plus+sign.py", "ünï/cødé.py", "empty.py"])
    )
    for rel, remote in fast.items():
        assert (remote.etag, remote.size) == (slow[rel].etag, slow[rel].size)
        assert datetime.fromisoformat(remote.last_modified) == datetime.fromisoformat(slow[rel].last_modified)


def test_downloads_are_dated_when_they_arrive_and_parse_last_modified_without_dateutil(s3env, dest):
    """A file's mtime is when it was installed, after its S3 LastModified: Airflow re-parses a file
    early only when its mtime is newer than its last parse, which may have ended after the upload."""
    s3env.put("dev/a.py", b"print('a')\n")
    s3env.put("dev/big.bin", os.urandom(600 * 1024))  # several chunks, several writes
    syncer = make_syncer(s3env, dest)
    got = syncer.s3.get_object(Bucket=s3env.bucket, Key="dev/a.py")
    assert got["LastModified"].tzinfo is UTC, "the client's timestamp parser is ours"
    got["Body"].read()

    began = time.time_ns()
    assert syncer.full_cycle(walk=True).result == "ok"
    ended = time.time_ns()
    for key in ("a.py", "big.bin"):
        head = s3env.s3.head_object(Bucket=s3env.bucket, Key=f"dev/{key}")
        info = (dest / key).stat()
        assert began <= info.st_mtime_ns <= ended
        assert info.st_mtime_ns > head["LastModified"].timestamp() * 1_000_000_000
        assert info.st_size == head["ContentLength"]
        assert oct(info.st_mode & 0o777) == oct(0o644 & ~_umask())
    assert tmp_files(dest) == []


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_temporary_names_never_collide(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from airflow_dag_sync.tree import LocalTree

    dest = tmp_path / "dags"
    dest.mkdir()
    trees = [LocalTree(dest, dest / ".dag-sync") for _ in range(2)]  # two processes, one tree
    trees[0].check()

    def make(tree):
        fd, path = tree.new_temp()  # O_EXCL: a collision would raise FileExistsError
        os.close(fd)
        return path

    with ThreadPoolExecutor(8) as pool:
        paths = list(pool.map(make, [trees[i % 2] for i in range(2000)]))
    assert len(set(paths)) == 2000
    assert all(p.startswith(str(dest / ".dag-sync" / "tmp")) and p.endswith(".part") for p in paths)
    assert trees[1].clean_tmp() == 2000
