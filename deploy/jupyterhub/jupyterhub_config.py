"""JupyterHub for the course on one machine (run by setup.py serve, as root).

One Unix account per learner (group course-learners) and per instructor
(group course-instructors), each with their own server started by
LocalProcessSpawner from the shared environment that setup.py built:

- learners: JupyterLab with the learner config (jupyter/learner: no
  create-assignment, formgrader or course list), the lessons copied into
  ~/regularization-course on first start, quiz progress in
  ~/.regularization-course/progress.json (the course's default);
- instructors: every nbgrader panel, on the course folder ~/course, and the
  grader package (setup.py install_grader: on the shared venv's path, in a
  folder only the group course-instructors can read; learners cannot import it).

Settings come from the environment, with one-machine defaults:
COURSE_HUB_PREFIX (/opt/regularization-course), COURSE_EXCHANGE
(/srv/nbgrader/exchange), COURSE_HUB_PORT (8000, all interfaces),
COURSE_HUB_IP (''), COURSE_HUB_STATE (<prefix>/hub), and for tests and scripts COURSE_HUB_API_TOKEN (a
service token allowed to add users, start servers and issue user tokens)
with COURSE_HUB_HUB_PORT / COURSE_HUB_PROXY_API_PORT (internal ports).
"""
import grp
import os
import pwd
import shutil
from pathlib import Path

c = get_config()  # noqa: F821 (JupyterHub provides it)

HERE = Path(__file__).resolve().parent
PREFIX = Path(os.environ.get("COURSE_HUB_PREFIX", "/opt/regularization-course"))
VENV = PREFIX / "venv"
STATE = Path(os.environ.get("COURSE_HUB_STATE", PREFIX / "hub"))
EXCHANGE = os.environ.get("COURSE_EXCHANGE", "/srv/nbgrader/exchange")
LEARNERS, INSTRUCTORS = "course-learners", "course-instructors"

# --- the hub and its proxy ------------------------------------------------
c.JupyterHub.ip = os.environ.get("COURSE_HUB_IP", "")
c.JupyterHub.port = int(os.environ.get("COURSE_HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ.get("COURSE_HUB_HUB_PORT", "8081"))
c.ConfigurableHTTPProxy.command = [str(HERE / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ.get('COURSE_HUB_PROXY_API_PORT', '8001')}"
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every learner's server

# --- who may log in: the two Unix groups setup.py add-learner/add-instructor fill
c.JupyterHub.authenticator_class = "pam"
c.LocalAuthenticator.allowed_groups = {LEARNERS, INSTRUCTORS}
c.LocalAuthenticator.create_system_users = False  # accounts come from setup.py

token = os.environ.get("COURSE_HUB_API_TOKEN")
if token:
    c.JupyterHub.services = [{"name": "course-admin", "api_token": token}]
    c.JupyterHub.load_roles = [{
        "name": "course-admin", "services": ["course-admin"],
        "scopes": ["admin:users", "admin:servers", "tokens", "list:users", "read:users"],
    }]


def group_members(name):
    try:
        return set(grp.getgrnam(name).gr_mem)
    except KeyError:
        return set()


# --- each user's server ---------------------------------------------------
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(VENV / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 90
c.Spawner.environment = {
    "PATH": f"{VENV / 'bin'}:/usr/local/bin:/usr/bin:/bin",
    "COURSE_EXCHANGE": EXCHANGE,
    "OMP_NUM_THREADS": "1",  # many learners share few cores
}


def pre_spawn_hook(spawner):
    """Split learners from instructors; give a new learner their copy of the lessons."""
    name = spawner.user.name
    home = Path(pwd.getpwnam(name).pw_dir)
    if name in group_members(INSTRUCTORS):
        # Every nbgrader panel; ~/.jupyter/nbgrader_config.py points nbgrader at ~/course,
        # and GRADER_COURSE points the grader there (`python -m grader`, `-m grader.samples`).
        spawner.environment = {**spawner.environment, "GRADER_COURSE": str(home / "course")}
        return
    if name not in group_members(LEARNERS):
        raise ValueError(f"{name} is in neither {LEARNERS} nor {INSTRUCTORS}")
    # learner-on-hub first: it gives back the Nbgrader menu's Assignment List
    # (fetch, submit), which jupyter/learner hides for make lab (no exchange there).
    config_path = [PREFIX / "jupyter" / "learner-on-hub", PREFIX / "jupyter" / "learner"]
    spawner.environment = {**spawner.environment,
                           "JUPYTER_CONFIG_PATH": os.pathsep.join(map(str, config_path))}
    lessons = home / "regularization-course"
    if not lessons.exists():
        user = pwd.getpwnam(name)
        shutil.copytree(PREFIX / "notebooks", lessons)
        for path in [lessons, *lessons.rglob("*")]:
            os.chown(path, user.pw_uid, user.pw_gid)


c.Spawner.pre_spawn_hook = pre_spawn_hook
