"""Case discovery: the case files named on the command line, a directory
standing for the case files below it."""

from __future__ import annotations

import os

import yaml


def case_files(paths) -> list:
    """Files as given; a directory stands for the case files below it
    (YAML files whose top level has the `tcverify` key), sorted."""
    found = []
    for path in paths:
        if not os.path.isdir(path):
            found.append(path)
            continue
        for root, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(files):
                if name.endswith((".yaml", ".yml")) and is_case_file(os.path.join(root, name)):
                    found.append(os.path.join(root, name))
    return found


def is_case_file(path) -> bool:
    try:
        with open(path) as handle:
            top = yaml.safe_load(handle)
    except (OSError, ValueError, RecursionError, yaml.YAMLError):  # ValueError: not UTF-8, a huge integer
        return False
    return isinstance(top, dict) and "tcverify" in top
