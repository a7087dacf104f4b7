"""Packages of the wheel (the rest of the metadata is pyproject.toml).

The program's files travel in the wheel laid out as in this checkout, under chatstack_files/
(schema/, resolvers/, policy/, templates/), so another Pulumi project that installs chatstack
can use the components (chatstack.project.program_files) and the policy pack. They are mapped
here, not moved: this checkout stays the one source of truth.
"""

from setuptools import find_packages, setup

PROGRAM_FILES = {f"chatstack_files.{folder}": folder for folder in ("schema", "resolvers", "policy", "templates")}

setup(
    packages=[*find_packages(include=["chatstack*", "components*", "fanout_consumer*", "archive_consumer*",
                                      "appsync_local*"], exclude=["chatstack_files*"]), *PROGRAM_FILES],
    package_dir=PROGRAM_FILES,
)
