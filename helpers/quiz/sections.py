"""Where each quiz topic is taught: links from test and review results back to the lesson.

The map is data, `helpers/quiz/sections.yaml`: lesson -> topic -> heading.
JupyterLab gives every rendered Markdown heading an id made of its text with
spaces turned into dashes, and opens `lesson.ipynb#that-id` at that heading.
"""
import functools
from pathlib import Path

import yaml

SECTIONS_FILE = Path(__file__).with_name("sections.yaml")


@functools.cache
def sections():
    """Return {lesson: {topic: heading}} from sections.yaml."""
    return yaml.safe_load(SECTIONS_FILE.read_text(encoding="utf-8")) or {}


def heading_anchor(heading):
    """Return JupyterLab's id for a Markdown heading: its text (code marks dropped), dashed."""
    return heading.replace("`", "").replace(" ", "-")


def section_link(lesson, topic):
    """Return (href, label) for the section that teaches `topic` in `lesson`.

    Falls back to the top of the lesson when the topic has no section listed.
    """
    heading = sections().get(lesson, {}).get(topic)
    if heading is None:
        return f"{lesson}.ipynb", f"lesson {lesson}"
    return (f"{lesson}.ipynb#{heading_anchor(heading)}",
            f"{lesson}, section “{heading.replace('`', '')}”")


def section_problems(bank):
    """Return a message for each topic of `bank` that sections.yaml does not place."""
    placed = sections().get(bank.name, {})
    return [f"topic {topic!r} has no section in {SECTIONS_FILE.name} (test results link there)"
            for topic in sorted({q.topic for q in bank.questions}) if topic not in placed]
