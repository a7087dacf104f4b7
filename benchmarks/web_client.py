"""Web client at event rates: the production build in headless Chromium, signed in to a room
of the local stack while another client sends N messages/s for D seconds.

Prints: the initial JS payload of the build (what index.html loads before anything else,
gzip), long tasks on the page's main thread during the run (count, total, longest), the JS
heap before and after (after a forced GC), the DOM size at the end, and whether every
message arrived (the newest is shown, the page says Live).

Before the run, --preload messages (default 10,000) are sent as fast as the local stack takes
them, so the page holds that many in its list while it is measured (issue 24's budgets: no long
task over 50 ms, heap growth under 20 MB, initial JS <= 300 KB gzip).

    .venv/bin/python benchmarks/web_client.py                    # 50 msg/s for 60 s, per-message stack
    .venv/bin/python benchmarks/web_client.py --rate 50 --seconds 60 --mode batched
    .venv/bin/python benchmarks/web_client.py --size-only        # just the payload
    .venv/bin/python benchmarks/web_client.py --preload 0        # an empty room
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chatstack.local.session import LOCAL_PASSWORD, BackgroundLoop, sign_up_and_in, verify_email  # noqa: E402
from chatstack.local.stack import LocalStack  # noqa: E402
from chatstack.local.web import WebBuild  # noqa: E402

SEND = "mutation S($roomId: ID!, $message: String!) { sendMessage(roomId: $roomId, message: $message) { roomId messageId sender senderName message createdAt replyCount } }"  # noqa: E501
LONG_TASK_OBSERVER = """
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__longTasks.push(entry.duration);
}).observe({ type: 'longtask', buffered: true });
"""


def initial_js(dist: Path) -> list[tuple[str, int, int]]:
    """(file, bytes, gzip bytes) of every script index.html loads up front (entry + modulepreloads)."""
    html = (dist / "index.html").read_text()
    sources = re.findall(r'<script[^>]+src="([^"]+\.js)"', html) + re.findall(
        r'<link[^>]+rel="modulepreload"[^>]+href="([^"]+\.js)"', html)
    files = []
    for source in dict.fromkeys(sources):
        data = (dist / source.lstrip("./")).read_bytes()
        files.append((source, len(data), len(gzip.compress(data, compresslevel=9))))
    return files


async def send(session, url: str, room: str, text: str) -> None:
    """One sendMessage; a GraphQL error fails the benchmark."""
    body = {"query": SEND, "variables": {"roomId": room, "message": text}}
    async with session.post(url, json=body) as response:
        result = await response.json()
        if "errors" in result:
            raise RuntimeError(result["errors"])


async def send_at_rate(url: str, token: str, room: str, rate: float, seconds: float) -> tuple[int, list[float]]:
    """Send rate × seconds messages, paced; returns (sent, per-request latencies in s)."""
    import aiohttp

    total = int(rate * seconds)
    latencies: list[float] = []
    async with aiohttp.ClientSession(headers={"Authorization": token}) as session:
        async def one(i: int) -> None:
            started = time.perf_counter()
            await send(session, url, room, f"load {i:05d} " + "x" * 80)
            latencies.append(time.perf_counter() - started)

        start = time.perf_counter()
        tasks = []
        for i in range(total):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.ensure_future(one(i)))
        await asyncio.gather(*tasks)
    return total, latencies


async def send_fast(url: str, token: str, room: str, count: int, concurrency: int = 16) -> None:
    """Send `count` messages as fast as the stack takes them (a room with history to hold)."""
    import aiohttp

    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)
    async with aiohttp.ClientSession(headers={"Authorization": token}) as session:
        async def worker() -> None:
            while not queue.empty():
                i = queue.get_nowait()
                await send(session, url, room, f"held {i:05d} " + "x" * 40)

        await asyncio.gather(*(worker() for _ in range(concurrency)))


def run(args: argparse.Namespace) -> int:
    build = WebBuild(ROOT / "web")
    build.ensure_built()
    files = initial_js(build.dist)
    raw, zipped = sum(f[1] for f in files), sum(f[2] for f in files)
    print(f"initial JS: {len(files)} file(s), {raw / 1024:.0f} KB, {zipped / 1024:.1f} KB gzip (target <= 300 KB)")
    if args.size_only:
        return 0

    from playwright.sync_api import expect, sync_playwright

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    loop = BackgroundLoop("bench-web")
    local = LocalStack("dev", web_dist=build.dist)
    if args.mode == "batched":
        from chatstack.offline.evaluation import evaluate_program
        from chatstack.project import read_stack_config

        local.run = evaluate_program("dev", config={**read_stack_config("dev"), "chatstack:fanOutMode": "batched"})
    outputs = loop.run(local.start())
    try:
        sign_up_and_in(outputs, "viewer")
        verify_email(outputs, "viewer")
        sender_token = sign_up_and_in(outputs, "sender")["id"]
        room = f"bench-{int(time.time())}"
        chromium = shutil.which("chromium") or "/usr/bin/chromium"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            context = browser.new_context(viewport={"width": 1100, "height": 800})
            context.add_init_script(LONG_TASK_OBSERVER)
            page = context.new_page()
            page.goto(f"{outputs['webUrl']}?room={room}")
            page.get_by_role("textbox", name="Username").fill("viewer")
            page.get_by_label("Password", exact=True).fill(LOCAL_PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("status")).to_have_text("Live", timeout=30_000)
            if args.preload:
                preload_started = time.perf_counter()
                loop.run(send_fast(outputs["graphqlUrl"], sender_token, room, args.preload),
                         timeout=args.preload / 10 + 120)
                expect(page.get_by_role("log").get_by_text(f"held {args.preload - 1:05d}", exact=False)).to_be_visible(
                    timeout=60_000)
                print(f"preload: {args.preload} messages in the list ({time.perf_counter() - preload_started:.0f} s)")
            cdp = context.new_cdp_session(page)
            cdp.send("Performance.enable")
            page.wait_for_timeout(1000)
            cdp.send("HeapProfiler.collectGarbage")
            heap_before = page.evaluate("performance.memory.usedJSHeapSize")
            page.evaluate("window.__longTasks = []")
            started = time.perf_counter()
            sent, latencies = loop.run(
                send_at_rate(outputs["graphqlUrl"], sender_token, room, args.rate, args.seconds),
                timeout=args.seconds * 4 + 60)
            elapsed = time.perf_counter() - started
            last = f"load {sent - 1:05d}"
            arrived = True
            try:
                expect(page.get_by_role("log").get_by_text(last, exact=False)).to_be_visible(timeout=30_000)
            except AssertionError:
                arrived = False
            long_tasks = page.evaluate("window.__longTasks")
            cdp.send("HeapProfiler.collectGarbage")
            heap_after = page.evaluate("performance.memory.usedJSHeapSize")
            articles = page.get_by_role("article").count()
            nodes = page.evaluate("document.getElementsByTagName('*').length")
            status = page.get_by_role("status").inner_text()
            browser.close()
    finally:
        loop.run(local.stop())
        loop.close()

    latencies.sort()
    print(f"run: {args.mode} stack, {sent} messages in {elapsed:.1f} s ({sent / elapsed:.1f}/s sent; "
          f"mutation p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, "
          f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.0f} ms)")
    print(f"long tasks: {len(long_tasks)}, total {sum(long_tasks):.0f} ms, longest "
          f"{max(long_tasks, default=0):.0f} ms (target: none over 50 ms)")
    print(f"JS heap: {heap_before / 2**20:.1f} MB before, {heap_after / 2**20:.1f} MB after GC, growth "
          f"{(heap_after - heap_before) / 2**20:.1f} MB (target < 20 MB)")
    print(f"DOM at the end: {articles} message articles, {nodes} elements; newest message shown: {arrived}; "
          f"status: {status}")
    print(json.dumps({"initialJsGzipBytes": zipped, "longTasks": len(long_tasks),
                      "longestTaskMs": round(max(long_tasks, default=0)), "heapGrowthBytes": heap_after - heap_before,
                      "articles": articles, "arrived": arrived}))
    return 0 if arrived else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=50.0, help="messages per second (default 50)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long (default 60)")
    parser.add_argument("--mode", choices=("perMessage", "batched"), default="perMessage")
    parser.add_argument("--preload", type=int, default=10_000,
                        help="messages in the list before the run (default 10,000; 0: an empty room)")
    parser.add_argument("--size-only", action="store_true", help="only print the initial JS payload")
    return run(parser.parse_args())


if __name__ == "__main__":
    raise SystemExit(main())
