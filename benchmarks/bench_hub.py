"""How many active learners does one machine hold? Spawn N learners' servers on the course's hub.

For N = 5, 10, 20 (or --learners): start the hub of deploy/jupyterhub with N
learner accounts (as tests/test_hub_e2e.py does: root, node), start every
learner's server at once, then in each a kernel that runs lesson 01 top to
bottom (all learners at once, as a class does in a lab session). Prints, per N:

- spawn time per learner (request to ready; all started together) and the
  wall time until every server was ready;
- lesson 01's wall time per learner while all N run it at once;
- memory per active learner: the RSS of every process of that learner's
  account (server + kernel) after the lesson, summed, and the PSS sum
  (shared pages counted once), averaged over learners;
- how many active learners a 24 GB / 2-core machine holds: by memory
  (PSS; 2 GB kept for the system and the hub), and how the lesson's wall
  time grows with N on 2 cores.

Run as root on an otherwise idle machine:
    .venv/bin/python benchmarks/bench_hub.py [--learners 5 10 20]
"""
import argparse
import importlib.util
import json
import pwd
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LESSON = "01_overfitting_metrics.ipynb"
MACHINE_GB, RESERVED_GB = 24, 2


def hub_tools():
    """The hub fixture's machinery from tests/test_hub_e2e.py, loaded by path."""
    spec = importlib.util.spec_from_file_location("hub_e2e", ROOT / "tests" / "test_hub_e2e.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_lesson(hub, user, cells, results):
    """Run the lesson's code cells in a new kernel on `user`'s server; record the seconds."""
    start = time.monotonic()
    try:
        _run_lesson(hub, user, cells, results, start)
    except Exception as err:  # a lost connection counts as that learner's error, not a crash
        results[user] = {"lesson_s": time.monotonic() - start, "error": f"{type(err).__name__}: {err}"}


def _run_lesson(hub, user, cells, results, start):
    import websocket

    _, kernel = hub.user_api(user, "POST", "/api/kernels", {"name": "python3"})
    ws = websocket.create_connection(
        hub.url.replace("http", "ws", 1) + f"/user/{user}/api/kernels/{kernel['id']}/channels",
        timeout=600, header=[f"Authorization: token {hub.tokens[user]}"])
    session, error = uuid.uuid4().hex, None
    try:
        for code in cells:
            msg_id = uuid.uuid4().hex
            ws.send(json.dumps({
                "header": {"msg_id": msg_id, "username": user, "session": session,
                           "msg_type": "execute_request", "version": "5.3"},
                "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                "content": {"code": code, "silent": False, "store_history": True,
                            "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}}))
            while True:
                msg = json.loads(ws.recv())
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "error" and error is None:
                    error = msg["content"]["ename"] + ": " + msg["content"]["evalue"]
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    break
    finally:
        ws.close()
    results[user] = {"lesson_s": time.monotonic() - start, "kernel": kernel["id"], "error": error}


def memory_of(user):
    """RSS and PSS sums (bytes) of every process running as `user`."""
    import psutil

    uid = pwd.getpwnam(user).pw_uid
    rss = pss = 0
    for proc in psutil.process_iter(["uids"]):
        try:
            if proc.info["uids"] and proc.info["uids"].real == uid:
                info = proc.memory_full_info()
                rss, pss = rss + info.rss, pss + info.pss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return rss, pss


def bench(tools, n):
    import nbformat

    names = [f"l{i:02d}" for i in range(n)]
    with tools.running_hub({name: None for name in names}, spawn=False) as hub:
        learners = list(hub.learners)
        asked = {}
        start = time.monotonic()
        for user in learners:
            asked[user] = time.monotonic()
            hub.hub_api("POST", f"/users/{user}/server")
        ready = {}

        def all_ready():
            for user in learners:
                if user not in ready and hub.hub_api("GET", f"/users/{user}")["servers"].get("", {}).get("ready"):
                    ready[user] = time.monotonic() - asked[user]
            return len(ready) == len(learners)
        tools.wait_for("every learner's server", all_ready, 600, interval=0.5)
        spawn_wall = time.monotonic() - start
        lesson = nbformat.read(tools.PREFIX / "notebooks" / LESSON, as_version=4)
        cells = [c.source for c in lesson.cells if c.cell_type == "code"]
        results = {}
        threads = [threading.Thread(target=run_lesson, args=(hub, u, cells, results)) for u in learners]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        lesson_wall = time.monotonic() - start
        errors = {u: r["error"] for u, r in results.items() if r["error"]}
        memory = [memory_of(u) for u in learners]
    rss = statistics.mean(m[0] for m in memory) / 2**30
    pss = statistics.mean(m[1] for m in memory) / 2**30
    row = {"learners": n,
           "spawn_s_mean": statistics.mean(ready.values()), "spawn_s_max": max(ready.values()),
           "spawn_wall_s": spawn_wall,
           "lesson_s_mean": statistics.mean(r["lesson_s"] for r in results.values()),
           "lesson_wall_s": lesson_wall, "rss_gb_per_learner": rss, "pss_gb_per_learner": pss,
           "hold_by_memory": int((MACHINE_GB - RESERVED_GB) / pss), "errors": errors}
    print(f"N={n:2d}  spawn per learner {row['spawn_s_mean']:.1f} s (max {row['spawn_s_max']:.1f}, "
          f"all ready in {spawn_wall:.1f} s)  lesson 01 {row['lesson_s_mean']:.1f} s each "
          f"(all done in {lesson_wall:.1f} s)  memory per active learner: RSS {rss:.2f} GB, "
          f"PSS {pss:.2f} GB  -> {row['hold_by_memory']} active learners in {MACHINE_GB} GB"
          + (f"  ERRORS: {errors}" if errors else ""), flush=True)
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, nargs="+", default=[5, 10, 20])
    args = parser.parse_args(argv)
    tools = hub_tools()
    reason = tools._skip_reason()
    if reason:
        sys.exit(reason)
    rows = [bench(tools, n) for n in args.learners]
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
