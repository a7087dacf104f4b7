"""This checkout as a chatstack project: the files the tests read."""

from pathlib import Path

from chatstack.project import Project

REPO_ROOT = Path(__file__).resolve().parent.parent
PROJECT = Project(REPO_ROOT)
