"""The web intake under a burst of uploads, as ratios to baselines measured in the same run.

    python benchmarks/bench_serve.py [--departments 50] [--jobs 2] [--json out.json]

Starts a real ``xltargets serve`` on 127.0.0.1 (one server process, ``--jobs`` reader processes)
for a roster of N departments, then measures:

* direct: ``read_workbook`` of one return in this process (the checking itself, no server);
* alone: one upload at a time over HTTP (stream, sniff, reader process, database, fsync, answer);
* burst: all N departments at once, answer time per upload;
* burst + bombs: the same with a zip bomb and an XML bomb among them (tests/hostile/corpus.py).

Machines are noisy: the ratios mean more than the seconds. Needs ``xltargets[web]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import httpx  # noqa: E402
from hostile.corpus import build_corpus  # noqa: E402
from serve_harness import ServerProcess, filled_return, send_out, write_roster  # noqa: E402

from xltargets.read import read_workbook  # noqa: E402


async def _burst(jobs: list[tuple[str, bytes, str]]) -> list[float]:
    async with httpx.AsyncClient(timeout=300, limits=httpx.Limits(max_connections=len(jobs) + 5)) as c:
        async def one(url: str, data: bytes, name: str) -> float:
            started = time.monotonic()
            r = await c.post(url, files={"file": (name, data)})
            r.raise_for_status()
            return time.monotonic() - started

        return list(await asyncio.gather(*(one(*job) for job in jobs)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--departments", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        manifest_path = send_out(tmp / "sent", write_roster(tmp / "roster.csv", args.departments))
        manifest = json.loads(manifest_path.read_text("utf-8"))
        codes = [w["unit_code"] for w in manifest["workbooks"]]
        returns = {c: filled_return(manifest, c, mistake=i % 3 == 0) for i, c in enumerate(codes)}
        corpus = build_corpus(tmp / "hostile")
        sample = tmp / "sample.xlsx"
        sample.write_bytes(returns[codes[0]])
        direct = []
        for _ in range(10):
            started = time.monotonic()
            read_workbook(sample)
            direct.append(time.monotonic() - started)
        with ServerProcess(tmp / "root", manifest_path, jobs=args.jobs) as srv:
            links = srv.links()
            jobs = [(srv.api(links[c]), returns[c], f"{c}.xlsx") for c in codes]
            asyncio.run(_burst(jobs[:2]))  # reader processes warm
            alone = [asyncio.run(_burst([job]))[0] for job in jobs[:10]]
            burst = asyncio.run(_burst(jobs))
            bombs = [(srv.api(links[codes[1]]), corpus["bomb_lying_tiny"].read_bytes(), "zip.xlsx"),
                     (srv.api(links[codes[2]]), corpus["xml_bomb_workbook"].read_bytes(), "xml.xlsx")]
            mixed = asyncio.run(_burst(jobs[: len(jobs) // 2] + bombs + jobs[len(jobs) // 2:]))
    d, a = statistics.median(direct), statistics.median(alone)
    result = {
        "departments": args.departments, "jobs": args.jobs,
        "direct_read_s": d, "upload_alone_s": a,
        "burst_median_s": statistics.median(burst), "burst_max_s": max(burst),
        "bombs_median_s": statistics.median(mixed), "bombs_max_s": max(mixed),
        "bomb_answers_s": mixed[len(jobs) // 2: len(jobs) // 2 + 2],
    }
    print(f"read_workbook in process        {d * 1000:7.1f} ms   1.00")
    print(f"one upload alone                {a * 1000:7.1f} ms   {a / d:5.2f} x direct")
    for label, times in ((f"burst of {len(burst)}", burst), ("burst + 2 bombs", mixed)):
        print(f"{label:<22} median {statistics.median(times):6.2f} s   max {max(times):6.2f} s   "
              f"max {max(times) / a:6.1f} x alone")
    print(f"bombs answered in {', '.join(f'{s:.2f} s' for s in result['bomb_answers_s'])}; "
          f"burst max with/without bombs {max(mixed) / max(burst):.2f}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
