"""Does the Kubernetes values.yaml parse, and do its pins match the lock files?"""
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
VALUES = ROOT / "deploy" / "kubernetes" / "values.yaml"


def locked():
    """name -> version over requirements.txt and the hub's requirements-hub.txt."""
    pins = {}
    for path in (ROOT / "requirements.txt", ROOT / "deploy" / "jupyterhub" / "requirements-hub.txt"):
        for line in path.read_text().splitlines():
            line = line.split("#")[0].strip()
            if "==" in line:
                name, version = line.split("==")
                pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def values():
    return yaml.safe_load(VALUES.read_text())


def test_values_parse_into_the_charts_top_level_sections():
    found = values()
    assert {"hub", "singleuser", "custom"} <= set(found)
    unknown = set(found) - {"custom", "hub", "proxy", "singleuser", "cull", "scheduling",
                            "prePuller", "ingress", "imagePullSecret", "debug", "rbac"}
    assert not unknown, f"keys the chart's schema rejects: {unknown}"


def test_the_pins_it_names_are_the_locked_ones():
    lock = locked()
    for name, version in values()["custom"]["course"]["pins"].items():
        assert lock.get(name) == version, f"values.yaml pins {name}=={version}, the lock {lock.get(name)}"


def test_the_image_tag_names_the_locked_versions():
    lock = locked()
    tag = values()["singleuser"]["image"]["tag"]
    for name, short in (("torch", "torch"), ("nbgrader", "nbgrader"), ("jupyterhub", "hub")):
        assert f"{short}{lock[name]}" in tag, f"image tag {tag!r} lacks {short}{lock[name]}"


def test_learners_get_the_learner_config_and_instructors_the_course_volume():
    found = values()
    split = found["hub"]["extraConfig"]["course-split"]
    compile(split, "course-split", "exec")  # the hub runs it as Python
    assert "/opt/course/jupyter/learner" in split and "course-instructors" in split
    assert "/opt/course/jupyter/learner-on-hub:/opt/course/jupyter/learner" in split
    assert (ROOT / "jupyter" / "learner").is_dir()
    assert (ROOT / "deploy" / "jupyterhub" / "learner-on-hub" / "labconfig").is_dir()
    instructors = found["hub"]["config"]["JupyterHub"]["load_groups"]["instructors"]["users"]
    assert instructors == found["custom"]["course"]["instructors"]


def test_every_pod_mounts_the_shared_exchange_where_nbgrader_looks():
    single = found = values()["singleuser"]
    mounts = {m["name"]: m["mountPath"] for m in single["storage"]["extraVolumeMounts"]}
    assert mounts["nbgrader-exchange"] == single["extraEnv"]["COURSE_EXCHANGE"]
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in found["storage"]["extraVolumes"]}
    assert claims["nbgrader-exchange"] == "nbgrader-exchange"


def test_the_dockerfile_builds_from_environment_yml_and_the_hub_pins():
    text = (ROOT / "deploy" / "kubernetes" / "Dockerfile").read_text()
    assert "conda env create -f environment.yml" in text
    assert "requirements-hub.txt" in text
    assert "autograded" not in re.findall(r"^COPY .*$", text, re.M).__str__()
