#!/usr/bin/env python3
"""Set up the course's JupyterHub on one machine; say what was created.

Run as root, with any Python 3 (standard library only), from anywhere:

    python3 deploy/jupyterhub/setup.py install            # shared env, exchange, groups, proxy
    python3 deploy/jupyterhub/setup.py add-instructor teacher
    python3 deploy/jupyterhub/setup.py add-learner alice bob carol
    python3 deploy/jupyterhub/setup.py serve --port 8000  # install, then run the hub
    python3 deploy/jupyterhub/setup.py remove-user alice  # account and home, gone

The repository (and its .venv) may sit where learners cannot read it (under
/root), and it holds the solutions (autograded/source/) and the hidden tests'
checks (grader/checks/), so learners get nothing from it directly. `install`
builds, like The Littlest JupyterHub's shared user environment, a root-owned
copy they can read:

    <prefix>/venv/             the pinned environment (requirements.txt, the helpers package)
    <prefix>/notebooks/        the lessons; each learner gets a copy in ~/regularization-course
    <prefix>/jupyter/learner/  the learner JupyterLab config (no instructor panels)
    <prefix>/jupyter/learner-on-hub/  on the hub, the Nbgrader menu's Assignment List back
    <prefix>/hub/              the hub's database and cookie secret (root only)

and, for instructors only, the grader package (its checks are the hidden
tests): <prefix>/instructors/grader/, the folder root:course-instructors 0750,
on the shared venv's path through a .pth file. The instructors' nbgrader
(feedback preprocessor, export plugin), `python -m grader` and its sandboxed
kernels import it from there; for a learner the folder is unreadable, so
`import grader` finds nothing. Then the nbgrader exchange (root-owned, 1777
as nbgrader asks: everyone writes, the sticky bit stops anyone deleting
another's files). Instructors get the course folder (nbgrader_config.py,
source/ with the solutions, samples/) in their own home, 0700.
Every step is skipped when it is already done, so running it again is cheap.
"""
import argparse
import grp
import hashlib
import os
import pwd
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PREFIX = Path(os.environ.get("COURSE_HUB_PREFIX", "/opt/regularization-course"))
EXCHANGE = Path(os.environ.get("COURSE_EXCHANGE", "/srv/nbgrader/exchange"))
LEARNERS = "course-learners"
INSTRUCTORS = "course-instructors"
COURSE_ID = "regularization-pytorch"
# What an instructor's course folder holds: the course data of autograded/ (the grader
# package is not in it: install_grader puts one copy where only instructors read it).
COURSE_FILES = ["nbgrader_config.py", "source", "samples"]
# The folder on the shared venv's path that holds the grader package, for instructors only.
GRADER_HOME = "instructors"


def say(what):
    print(f"  {what}", flush=True)


def run(cmd, **kwargs):
    subprocess.run(cmd, check=True, **kwargs)


def digest(*paths):
    """A hash of files and folder trees (names and contents), for 'is it up to date?'."""
    h = hashlib.sha256()
    for path in paths:
        files = sorted(p for p in Path(path).rglob("*") if p.is_file()) if Path(path).is_dir() else [Path(path)]
        for f in files:
            if "__pycache__" not in f.parts and ".ipynb_checkpoints" not in f.parts:
                h.update(str(f.relative_to(REPO)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def python311():
    """A Python 3.11 that every user can run (not one under /root, e.g. pyenv's)."""
    for candidate in (os.environ.get("COURSE_HUB_PYTHON"), "/usr/bin/python3.11",
                      "/usr/local/bin/python3.11"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    sys.exit("No /usr/bin/python3.11: install it (Debian 12: apt-get install python3.11-venv) "
             "or set COURSE_HUB_PYTHON to a Python 3.11 that all users can run.")


def copy_tree(src, dst, owner=None, mode=None):
    """Replace dst by a copy of src (no caches); chown it to owner when given."""
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    if owner is not None:
        for path in [dst, *dst.rglob("*")]:
            os.chown(path, owner.pw_uid, owner.pw_gid, follow_symlinks=False)
    if mode is not None:
        dst.chmod(mode)


def build_env(prefix):
    """The shared venv: requirements.txt and the hub's pins, then the helpers package (a copy)."""
    venv = prefix / "venv"
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-qq", "--disable-pip-version-check"]
    stamp = venv / ".course-deps"
    want = digest(REPO / "requirements.txt", HERE / "requirements-hub.txt")
    if not (stamp.exists() and stamp.read_text() == want):
        if venv.exists():
            shutil.rmtree(venv)
        run([python311(), "-m", "venv", str(venv)])
        run(pip + ["-r", str(HERE / "requirements-hub.txt")])  # includes requirements.txt
        stamp.write_text(want)
        say(f"created {venv} (requirements.txt + deploy/jupyterhub/requirements-hub.txt)")
    stamp = venv / ".course-helpers"
    want = digest(REPO / "helpers", REPO / "pyproject.toml", REPO / "requirements.in")
    if not (stamp.exists() and stamp.read_text() == want):
        # Built from a copy: setuptools would otherwise write build/ into the repository.
        build = prefix / "build-helpers"
        if build.exists():
            shutil.rmtree(build)
        build.mkdir()
        for name in ("helpers", "pyproject.toml", "requirements.in", "README.md"):
            src = REPO / name
            (shutil.copytree if src.is_dir() else shutil.copy2)(src, build / name)
        run(pip + ["--no-deps", "--no-build-isolation", "--force-reinstall", str(build)])
        shutil.rmtree(build)
        stamp.write_text(want)
        say(f"installed the helpers package into {venv}")
    # Every server and nbgrader command reads this (sys.prefix/etc/jupyter): the exchange.
    config = venv / "etc" / "jupyter" / "nbgrader_config.py"
    text = ("# Written by deploy/jupyterhub/setup.py: where nbgrader's exchange is.\n"
            "import os\n"
            "c = get_config()  # noqa: F821\n"
            f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
            f"c.Exchange.root = os.environ.get('COURSE_EXCHANGE', {str(EXCHANGE)!r})\n")
    if not config.exists() or config.read_text() != text:
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(text)
        say(f"wrote {config} (exchange: {EXCHANGE})")


def install(prefix):
    print(f"Setting up the course's JupyterHub under {prefix}")
    if os.geteuid() != 0:
        sys.exit("Run as root: it creates Unix groups, the exchange and a shared environment.")
    prefix.mkdir(parents=True, exist_ok=True)
    prefix.chmod(0o755)
    build_env(prefix)
    for src, dst in ((REPO / "notebooks", prefix / "notebooks"),
                     (REPO / "jupyter" / "learner", prefix / "jupyter" / "learner"),
                     (HERE / "learner-on-hub", prefix / "jupyter" / "learner-on-hub")):
        if not dst.exists() or digest(src) != digest_of_copy(dst, src):
            dst.parent.mkdir(parents=True, exist_ok=True)
            copy_tree(src, dst)
            say(f"copied {src.relative_to(REPO)} to {dst}")
    state = prefix / "hub"
    if not state.exists():
        state.mkdir(mode=0o700)
        say(f"created {state} (hub database and cookie secret, root only)")
    if not EXCHANGE.exists():
        EXCHANGE.mkdir(parents=True)
        say(f"created the nbgrader exchange {EXCHANGE}")
    os.chown(EXCHANGE, 0, 0)
    EXCHANGE.chmod(0o1777)  # nbgrader: writable by all; sticky: no one deletes another's files
    for group in (LEARNERS, INSTRUCTORS):
        try:
            grp.getgrnam(group)
        except KeyError:
            run(["groupadd", group])
            say(f"created Unix group {group}")
    install_grader(prefix)
    proxy = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
    if not proxy.exists():
        if not shutil.which("npm"):
            sys.exit("JupyterHub needs Node.js for its proxy: apt-get install nodejs npm")
        run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE)
        say(f"installed configurable-http-proxy (package-lock.json) in {HERE / 'node_modules'}")
    print("Done. Add accounts with add-instructor / add-learner.")


def install_grader(prefix):
    """The grader package where instructors (and their sandboxed grading) import it, learners not.

    Its checks are what the hidden tests run, so it cannot go into the shared venv like
    the helpers: it goes to <prefix>/instructors/grader/, the folder root:course-instructors
    0750, and a .pth file in the venv puts that folder on everyone's sys.path. A
    learner's Python cannot list it, so `import grader` finds no module; an
    instructor's (group member) imports it, inside `python -m grader`'s sandbox too,
    which keeps the Python environment and clears the environment variables.
    """
    lib = prefix / GRADER_HOME
    src, dst = REPO / "grader", lib / "grader"
    lib.mkdir(mode=0o700, exist_ok=True)
    os.chown(lib, 0, grp.getgrnam(INSTRUCTORS).gr_gid)
    lib.chmod(0o750)  # set before the copy: learners never read the checks, not even for a moment
    if not dst.exists() or digest(src) != digest_of_copy(dst, src):
        copy_tree(src, dst)
        say(f"copied grader/ to {dst} (group {INSTRUCTORS} only: it holds the hidden tests' checks)")
    site_packages = next((prefix / "venv" / "lib").glob("python3*/site-packages"))
    pth = site_packages / "course-grader.pth"
    if not pth.exists() or pth.read_text() != f"{lib}\n":
        pth.write_text(f"{lib}\n")
        say(f"wrote {pth} ({lib} on the venv's path; only instructors can read it)")


def digest_of_copy(dst, src):
    """The digest dst would have if it were named src (to compare a copy with its source)."""
    h = hashlib.sha256()
    for f in sorted(p for p in dst.rglob("*") if p.is_file()):
        if "__pycache__" not in f.parts and ".ipynb_checkpoints" not in f.parts:
            h.update(str((src / f.relative_to(dst)).relative_to(REPO)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def add_user(name, groups, password):
    try:
        pwd.getpwnam(name)
        run(["usermod", "-a", "-G", ",".join(groups), name])
        say(f"{name}: existing account, added to {', '.join(groups)}")
    except KeyError:
        run(["useradd", "--create-home", "--shell", "/bin/bash", "--groups", ",".join(groups), name])
        say(f"{name}: created Unix account (groups {', '.join(groups)})")
    user = pwd.getpwnam(name)
    Path(user.pw_dir).chmod(0o700)  # no one else reads a learner's work or progress
    if password:
        secret = secrets.token_urlsafe(9)
        run(["chpasswd"], input=f"{name}:{secret}\n", text=True)
        say(f"{name}: password {secret}  (hand it over privately; `passwd {name}` changes it)")
    return user


def add_instructor(name, password):
    user = add_user(name, [INSTRUCTORS], password)
    course = Path(user.pw_dir) / "course"
    if not course.exists():
        course.mkdir(mode=0o700)
        os.chown(course, user.pw_uid, user.pw_gid)
        for item in COURSE_FILES:
            src, dst = REPO / "autograded" / item, course / item
            if src.is_dir():
                copy_tree(src, dst, owner=user)
            else:
                shutil.copy2(src, dst)
                os.chown(dst, user.pw_uid, user.pw_gid)
        say(f"{name}: course folder {course} (nbgrader_config.py, source/ with the solutions, "
            "samples/; 0700)")
    # nbgrader's formgrader reads ~/.jupyter/nbgrader_config.py: point it at the course.
    jupyter_dir = Path(user.pw_dir) / ".jupyter"
    config = jupyter_dir / "nbgrader_config.py"
    if not config.exists():
        jupyter_dir.mkdir(exist_ok=True)
        config.write_text("# The course folder: nbgrader (formgrader, collect, feedback) works there.\n"
                          "c = get_config()  # noqa: F821\n"
                          f"load_subconfig({str(course / 'nbgrader_config.py')!r})  # noqa: F821\n")
        for path in (jupyter_dir, config):
            os.chown(path, user.pw_uid, user.pw_gid)
        say(f"{name}: wrote {config}")


def remove_user(name):
    try:
        pwd.getpwnam(name)
    except KeyError:
        say(f"{name}: no such account")
        return
    run(["userdel", "--remove", name], stderr=subprocess.DEVNULL)
    say(f"{name}: removed the account and its home")


def serve(prefix, port):
    install(prefix)
    env = {**os.environ, "COURSE_HUB_PREFIX": str(prefix), "COURSE_HUB_PORT": str(port)}
    print(f"\nJupyterHub: http://{hostname()}:{port}/  (log in with a learner's or instructor's "
          "Unix account; Ctrl+C stops it)\n", flush=True)
    os.chdir(prefix / "hub")
    os.execve(str(prefix / "venv" / "bin" / "jupyterhub"),
              ["jupyterhub", "-f", str(HERE / "jupyterhub_config.py")], env)


def hostname():
    import socket
    name = socket.getfqdn()
    return name if name and name != "localhost" else socket.gethostname() or "localhost"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefix", type=Path, default=PREFIX)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install", help="shared environment, notebooks, exchange, groups, proxy")
    for cmd in ("add-learner", "add-instructor"):
        p = sub.add_parser(cmd, help=f"{cmd.replace('-', ' ')}s: Unix accounts")
        p.add_argument("names", nargs="+")
        p.add_argument("--no-password", action="store_true",
                       help="set no password (tests; the hub's API tokens log in instead)")
    p = sub.add_parser("remove-user", help="delete accounts and their homes")
    p.add_argument("names", nargs="+")
    p = sub.add_parser("serve", help="install, then run JupyterHub (Ctrl+C stops it)")
    p.add_argument("--port", type=int, default=int(os.environ.get("COURSE_HUB_PORT", 8000)))
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        sys.exit("Run as root (sudo): it manages Unix accounts and system folders.")
    if args.command == "install":
        install(args.prefix)
    elif args.command == "serve":
        serve(args.prefix, args.port)
    else:
        for name in args.names:
            if args.command == "add-learner":
                add_user(name, [LEARNERS], not args.no_password)
            elif args.command == "add-instructor":
                add_instructor(name, not args.no_password)
            else:
                remove_user(name)


if __name__ == "__main__":
    main()
