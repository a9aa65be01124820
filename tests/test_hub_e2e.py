"""Can a whole class work through a real JupyterHub and nbgrader's exchange?

One hub (deploy/jupyterhub/jupyterhub_config.py, its pinned
configurable-http-proxy, LocalProcessSpawner) on loopback ports, one
instructor and three learners as real Unix accounts (made and removed by
deploy/jupyterhub/setup.py). Everything after start-up goes through the hub's
REST API and each user's own server API, with each user's own token: the
formgrader API (release, collect, release feedback), nbgrader's assignment
list (fetch, submit, fetch feedback), the contents API (answers in, feedback
out) and kernels (the instructor runs the grading pipeline; a learner tries
to read what is not theirs).

The shared environment is built once under COURSE_HUB_TEST_PREFIX (default
/opt/regularization-course-test) and reused while requirements and helpers
are unchanged; the exchange, the hub's state and the accounts are new each
run and removed after. Needs root (Unix accounts), node and npm (the proxy).
"""
import contextlib
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import nbformat
import pytest

from grader import samples as sample_files
from labtools import free_port

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy" / "jupyterhub"
PREFIX = Path(os.environ.get("COURSE_HUB_TEST_PREFIX", "/opt/regularization-course-test"))
COURSE_ID = "regularization-pytorch"
ASSIGNMENT = "ps1_metrics"
# learner -> the sample of autograded/samples/ps1_metrics/ they hand in
ANSWERS = {"ann": "correct_compact", "ben": "f1_arithmetic_mean", "cas": "unanswered"}

pytestmark = [pytest.mark.slow, pytest.mark.hub]


def _skip_reason():
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "needs root: it creates Unix accounts for an instructor and three learners"
    if not shutil.which("node"):
        return "needs Node.js for configurable-http-proxy (Debian: apt-get install nodejs npm)"
    major = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout
    if int(major.lstrip("v").split(".")[0] or 0) < 20:
        return f"configurable-http-proxy 5.2 needs Node.js 20 or newer (found {major.strip()})"
    if not (DEPLOY / "node_modules" / ".bin" / "configurable-http-proxy").exists() \
            and not shutil.which("npm"):
        return "configurable-http-proxy is not installed and npm is missing to install it"
    if not shutil.which("useradd"):
        return "needs useradd/userdel (Debian's passwd package)"
    return None


def wait_for(what, condition, timeout, interval=0.2):
    """Poll condition() until it returns something true; return it, or fail after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class Hub:
    """The running hub: its URL, its admin service token, and each user's token."""

    def __init__(self, url, admin_token, log):
        self.url, self.admin_token, self.log = url, admin_token, log
        self.tokens = {}

    def request(self, method, path, token, body=None, expect=(200, 201, 202, 204)):
        data = None if body is None else json.dumps(body).encode()
        path = urllib.parse.quote(path, safe="/?=&")  # feedback folders are timestamps with spaces
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Authorization": f"token {token}",
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=300) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            status, text = err.code, err.read().decode(errors="replace")
        if expect and status not in expect:
            raise AssertionError(f"{method} {path}: HTTP {status}: {text[:2000]}\n"
                                 f"hub log:\n{self.log_tail()}")
        return status, (json.loads(text) if text.strip().startswith(("{", "[")) else text)

    def hub_api(self, method, path, body=None, **kw):
        return self.request(method, f"/hub/api{path}", self.admin_token, body, **kw)[1]

    def user_api(self, user, method, path, body=None, as_user=None, **kw):
        """Call `user`'s own server (as `as_user`, by default the user), through the proxy."""
        return self.request(method, f"/user/{user}{path}", self.tokens[as_user or user], body, **kw)

    def log_tail(self, chars=4000):
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def run_code(self, user, code, timeout=300):
        """Run Python in a new kernel on `user`'s server; return what it printed."""
        import websocket  # websocket-client, in the course's lock

        _, kernel = self.user_api(user, "POST", "/api/kernels", {"name": "python3"})
        ws_url = self.url.replace("http", "ws", 1) + f"/user/{user}/api/kernels/{kernel['id']}/channels"
        ws = websocket.create_connection(ws_url, timeout=timeout,
                                         header=[f"Authorization: token {self.tokens[user]}"])
        msg_id = uuid.uuid4().hex
        ws.send(json.dumps({
            "header": {"msg_id": msg_id, "username": user, "session": uuid.uuid4().hex,
                       "msg_type": "execute_request", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": False,
                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}}))
        out, error = [], None
        try:
            while True:
                msg = json.loads(ws.recv())
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = msg["msg_type"]
                if kind == "stream":
                    out.append(msg["content"]["text"])
                elif kind == "error":
                    error = "\n".join(msg["content"]["traceback"])
                elif kind == "status" and msg["content"]["execution_state"] == "idle":
                    break
        finally:
            ws.close()
            self.user_api(user, "DELETE", f"/api/kernels/{kernel['id']}")
        assert error is None, f"code on {user}'s server failed:\n{error}\n{''.join(out)}"
        return "".join(out)


def setup_py(*args, env=None):
    subprocess.run([sys.executable, str(DEPLOY / "setup.py"), "--prefix", str(PREFIX), *args],
                   check=True, env={**os.environ, **(env or {})})


def stop(process, timeout=30):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def kill_processes_of(user):
    """Stop anything left running as one of the test's accounts (by pid)."""
    found = subprocess.run(["pgrep", "-u", user], capture_output=True, text=True).stdout.split()
    for pid in found:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass


@contextlib.contextmanager
def running_hub(learner_names, spawn=True):
    """Start the course's hub with an instructor and these learners (fresh accounts and
    exchange); yield a Hub with each user's token (servers started when `spawn`); stop
    and remove it all after. benchmarks/bench_hub.py uses it too."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    tag = secrets.token_hex(2)
    instructor = f"rc{tag}-teach"
    learners = {f"rc{tag}-{name}": value for name, value in learner_names.items()}
    users = [instructor, *learners]
    # Learners' processes must reach the exchange: not under pytest's 0700 tmp folders.
    run_dir = Path(tempfile.mkdtemp(prefix="rc-hub-", dir="/tmp"))
    run_dir.chmod(0o755)
    exchange = run_dir / "exchange"
    state = run_dir / "hub"
    env = {"COURSE_EXCHANGE": str(exchange)}
    process = None
    try:
        setup_py("install", env=env)
        state.mkdir(mode=0o700)
        setup_py("add-instructor", instructor, "--no-password")
        setup_py("add-learner", *learners, "--no-password")
        port, admin_token = free_port(), secrets.token_hex(24)
        log = run_dir / "jupyterhub.log"
        hub_env = {**os.environ, **env, "COURSE_HUB_PREFIX": str(PREFIX),
                   "COURSE_HUB_STATE": str(state), "COURSE_HUB_IP": "127.0.0.1",
                   "COURSE_HUB_PORT": str(port), "COURSE_HUB_HUB_PORT": str(free_port()),
                   "COURSE_HUB_PROXY_API_PORT": str(free_port()),
                   "COURSE_HUB_API_TOKEN": admin_token}
        hub_env.pop("COURSE_PROGRESS_FILE", None)  # learners keep theirs in their home
        with open(log, "wb") as log_file:
            process = subprocess.Popen(
                [str(PREFIX / "venv" / "bin" / "jupyterhub"), "-f", str(DEPLOY / "jupyterhub_config.py")],
                cwd=state, env=hub_env, stdout=log_file, stderr=subprocess.STDOUT,
                start_new_session=True)
        hub = Hub(f"http://127.0.0.1:{port}", admin_token, log)

        def up():
            if process.poll() is not None:
                raise AssertionError(f"jupyterhub exited:\n{hub.log_tail()}")
            try:
                return hub.request("GET", "/hub/api/", admin_token, expect=None)[0] == 200
            except (urllib.error.URLError, ConnectionError):
                return False
        wait_for("the hub to answer", up, 60)
        hub.instructor, hub.learners, hub.exchange = instructor, learners, exchange
        hub.hub_api("POST", "/users", {"usernames": users})
        for user in users:
            hub.tokens[user] = hub.hub_api("POST", f"/users/{user}/tokens",
                                           {"note": "end-to-end test", "expires_in": 3600})["token"]
        if spawn:
            for user in users:
                hub.hub_api("POST", f"/users/{user}/server")
            for user in users:
                wait_for(f"{user}'s server", lambda u=user: hub.hub_api("GET", f"/users/{u}")
                         ["servers"].get("", {}).get("ready"), 180, interval=0.5)
        yield hub
    finally:
        if process is not None:
            stop(process)  # cleanup_servers: the hub stops every server and its proxy
        for user in users:
            kill_processes_of(user)
        for user in users:
            subprocess.run([sys.executable, str(DEPLOY / "setup.py"), "remove-user", user],
                           check=False)
        shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def hub():
    """The hub with an instructor and the three learners of ANSWERS, servers started."""
    with running_hub(ANSWERS) as hub:
        yield hub


def assignments(hub, learner):
    _, listed = hub.user_api(learner, "GET", f"/assignments?course_id={COURSE_ID}")
    assert listed["success"], listed
    return [a for a in listed["value"] if a["assignment_id"] == ASSIGNMENT]


def disabled_plugins(hub, user):
    """Return the JupyterLab plugins disabled on `user`'s server (its page config)."""
    _, page = hub.user_api(user, "GET", "/lab")
    start = page.index('id="jupyter-config-data"')
    data = json.loads(page[page.index(">", start) + 1:page.index("</script>", start)])
    return set(data.get("disabledExtensions", []))


def formgrader(hub, action):
    _, result = hub.user_api(hub.instructor, "POST", f"/formgrader/api/assignment/{ASSIGNMENT}/{action}")
    assert result.get("success"), f"formgrader {action}: {result}"
    return result


def test_a_class_releases_fetches_submits_is_graded_and_reads_feedback(hub):
    """Can an instructor run ps1_metrics for three learners, start to finish, through the hub?"""
    # The split: learners have no formgrader; the instructor has it.
    learner = next(iter(hub.learners))
    status, _ = hub.user_api(learner, "GET", "/formgrader/api/assignments", expect=None)
    assert status == 404, f"a learner's server serves the formgrader (HTTP {status})"
    status, _ = hub.user_api(hub.instructor, "GET", "/formgrader/api/assignments")
    # In JupyterLab, a learner's Nbgrader menu holds the Assignment List only.
    assert disabled_plugins(hub, learner) >= {
        "@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
        "@jupyter/nbgrader:course-list"}
    assert "@jupyter/nbgrader:menu" not in disabled_plugins(hub, learner)
    assert not disabled_plugins(hub, hub.instructor) & {
        "@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
        "@jupyter/nbgrader:menu"}
    # One learner's token does not open another learner's server.
    other = list(hub.learners)[1]
    status, _ = hub.user_api(other, "GET", "/api/contents", as_user=learner, expect=None)
    assert status in (403, 404), f"{learner}'s token opened {other}'s server (HTTP {status})"

    # Release.
    formgrader(hub, "assign")
    formgrader(hub, "release")

    # Each learner fetches, answers and submits.
    reference = sample_files.reference_answers(ASSIGNMENT, ROOT / "autograded")
    samples = {s.student: s for s in sample_files.samples(ASSIGNMENT, ROOT / "autograded")}
    path = f"/api/contents/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
    for learner, sample in hub.learners.items():
        assert [a["status"] for a in assignments(hub, learner)] == ["released"]
        hub.user_api(learner, "POST", "/assignments/fetch",
                     {"course_id": COURSE_ID, "assignment_id": ASSIGNMENT})
        _, model = hub.user_api(learner, "GET", path)
        released = nbformat.from_dict(model["content"])
        answered = sample_files.fill(released, samples[sample], reference)
        hub.user_api(learner, "PUT", path, {"type": "notebook", "format": "json", "content": answered})
        _, listed = hub.user_api(learner, "POST", "/assignments/submit",
                                 {"course_id": COURSE_ID, "assignment_id": ASSIGNMENT})
        assert "success" not in listed or listed["success"], listed
        assert any(a["status"] == "submitted" for a in assignments(hub, learner))

    # Collect, grade with the course's pipeline (make grade's), release feedback.
    formgrader(hub, "collect")
    printed = hub.run_code(hub.instructor, (
        "import os, subprocess, sys\n"
        "course = os.path.expanduser('~/course')\n"
        f"r = subprocess.run([sys.executable, '-m', 'grader', '{ASSIGNMENT}', '--jobs', '2'],\n"
        "                   cwd=course, capture_output=True, text=True)\n"
        "print(r.stdout[-3000:], r.stderr[-3000:], 'exit', r.returncode)\n"))
    assert "exit 0" in printed, printed
    _, grades = hub.user_api(hub.instructor, "GET",
                             f"/api/contents/course/grading_out/{ASSIGNMENT}/grades.csv")
    grades = grades["content"]
    formgrader(hub, "release_feedback")

    # Each learner fetches their own feedback, with their score and no one else's.
    expected = {"correct_compact": 10, "unanswered": 0}
    for learner, sample in hub.learners.items():
        hub.user_api(learner, "POST", "/assignments/fetch_feedback",
                     {"course_id": COURSE_ID, "assignment_id": ASSIGNMENT})
        _, folder = hub.user_api(learner, "GET", f"/api/contents/{ASSIGNMENT}/feedback")
        pages = [f for stamp in folder["content"]
                 for f in hub.user_api(learner, "GET", f"/api/contents/{stamp['path']}")[1]["content"]
                 if f["name"].endswith(".html")]
        assert len(pages) == 1, f"{learner} got {len(pages)} feedback pages"
        _, page = hub.user_api(learner, "GET", f"/api/contents/{pages[0]['path']}")
        html = page["content"]
        # Only the f1 mistake's page carries its diagnosis: each page is its owner's.
        diagnosed = "not the arithmetic mean" in html
        assert diagnosed == (sample == "f1_arithmetic_mean"), (learner, sample, diagnosed)
        row = next(line for line in grades.splitlines() if line.startswith(learner + ","))
        score = _score(html)
        assert f",{score:g}," in row or f",{score}," in row, (learner, score, row)
        if sample in expected:
            assert score == expected[sample], (learner, sample, score)
        else:
            assert 0 < score < 10, (learner, sample, score)

    # Isolation: a learner reads the shared lessons, but not another learner's
    # home, the exchange's inbound or feedback listings, or the instructor's course.
    ann, ben = list(hub.learners)[:2]
    home = {u: Path(pwd.getpwnam(u).pw_dir) for u in [hub.instructor, *hub.learners]}
    course = home[hub.instructor] / "course"
    course_exchange = hub.exchange / COURSE_ID
    probes = {
        "shared lessons": (PREFIX / "notebooks", True),
        "own lessons": (home[ben] / "regularization-course", True),
        "another learner's home": (home[ann], False),
        "another learner's answers": (home[ann] / ASSIGNMENT, False),
        "the inbound submissions": (course_exchange / "inbound", False),
        "the released feedback": (course_exchange / "feedback", False),
        "the instructor's source/": (course / "source", False),
        "the grader and its checks": (PREFIX / "instructors", False),
    }
    code = ("import json, os\nseen = {}\n"
            f"for name, path in {json.dumps({k: str(p) for k, (p, _) in probes.items()})}.items():\n"
            "    try:\n        os.listdir(path); seen[name] = True\n"
            "    except PermissionError:\n        seen[name] = False\n"
            "print(json.dumps({'seen': seen, 'home': os.path.expanduser('~'),\n"
            "                  'progress': os.environ.get('COURSE_PROGRESS_FILE')}))\n")
    report = json.loads(hub.run_code(ben, code).strip().splitlines()[-1])
    assert report["seen"] == {k: ok for k, (_, ok) in probes.items()}, report
    assert report["home"] == str(home[ben]) and report["progress"] is None, report


def _score(html):
    """The total score nbgrader's feedback page shows ("Score: 7.0 / 10.0" style)."""
    import re

    found = re.search(r"Score:\s*([0-9.]+)\s*/\s*([0-9.]+)", re.sub(r"<[^>]+>", " ", html))
    assert found, "no 'Score: x / y' in the feedback page:\n" + re.sub(r"<[^>]+>", " ", html)[-3000:]
    return float(found.group(1))
