"""What a Lambda function can import: the packages the stack deploys, so `make bench` (a) times that.

The project's venv holds more than the layer ships (moto, pytest, mypy and what they bring), and
some libraries import an optional package only when it is present: PyJWT loads ``cryptography``
(≈90 ms here) if it can, httpx its command line (click, pygments). A cold start timed in the venv
would then include work Lambda never does. The deployed set is computed, never listed by hand:
the dependency closure (:mod:`importlib.metadata`) of the layer's requirements.txt, the packages
requirements-no-deps.txt installs without theirs, and the runtime's own boto3 with its closure;
plus the standard library and the project's ``inbox`` package.

:func:`prelude` is the code a measuring child process runs first: every import of a top-level
name outside the set then fails as it would in Lambda (``ModuleNotFoundError``, and
``importlib.util.find_spec`` answers None), and :mod:`importlib.metadata` sees only the deployed
distributions (pydantic's plugin lookup scans them all).
"""

from __future__ import annotations

import pkgutil
import sys
import sysconfig
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from inbox_dev.local_aws import REPO_ROOT

LAYER = REPO_ROOT / "layers" / "common"
REQUIREMENTS = LAYER / "requirements.txt"
"""Installed with their dependencies (layers/common/Makefile)."""
REQUIREMENTS_NO_DEPS = LAYER / "requirements-no-deps.txt"
"""Installed without their dependencies (layers/common/Makefile)."""
RUNTIME_PROVIDED = ("boto3",)
"""What the python3.13 Lambda runtime itself provides (requirements.txt's header says so)."""
PROJECT_PACKAGES = frozenset({"inbox"})
"""The layer's own package (copied into it by layers/common/Makefile)."""


def requirements(path: Path) -> list[Requirement]:
    """A requirement file's requirements (comments and blank lines skipped)."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [Requirement(line) for line in lines if line]


def closure(roots: Iterable[Requirement]) -> set[str]:
    """The canonical names of ``roots`` and of every distribution they require, transitively, as
    installed here; a requirement whose marker does not hold (an extra nobody asked for, another
    Python) is not followed. A requirement not installed here has nothing to import, and is kept."""
    found: set[str] = set()
    pending = [(requirement, frozenset(requirement.extras)) for requirement in roots]
    while pending:
        requirement, extras = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in found:
            continue
        found.add(name)
        try:
            requires = metadata.requires(requirement.name) or []
        except metadata.PackageNotFoundError:
            continue
        for line in requires:
            needed = Requirement(line)
            if needed.marker is None or any(
                needed.marker.evaluate({"extra": extra}) for extra in extras or {""}
            ):
                pending.append((needed, frozenset(needed.extras)))
    return found


def deployed_distributions() -> frozenset[str]:
    """Canonical names of every distribution a deployed function has (layer and runtime)."""
    followed = closure([*requirements(REQUIREMENTS), *map(Requirement, RUNTIME_PROVIDED)])
    alone = {canonicalize_name(requirement.name) for requirement in requirements(REQUIREMENTS_NO_DEPS)}
    return frozenset(followed | alone)


def standard_library() -> frozenset[str]:
    """The standard library's top-level names, and what its folder holds besides them (sysconfig's
    ``_sysconfigdata_*``, which ``sys.stdlib_module_names`` does not list)."""
    folder = sysconfig.get_paths()["stdlib"]
    return sys.stdlib_module_names | {module.name for module in pkgutil.iter_modules([folder])}


@dataclass(frozen=True)
class Deployed:
    modules: frozenset[str]
    """Importable top-level names: the distributions', the standard library's and ``inbox``."""
    distributions: frozenset[str]
    """The distributions' names as :mod:`importlib.metadata` normalizes them (``typing_extensions``)."""


@cache
def deployed() -> Deployed:
    wanted = deployed_distributions()
    modules = {
        module
        for module, owners in metadata.packages_distributions().items()
        if any(canonicalize_name(owner) in wanted for owner in owners)
    }
    return Deployed(
        modules=frozenset(modules | standard_library() | PROJECT_PACKAGES),
        distributions=frozenset(name.replace("-", "_") for name in wanted),
    )


_PRELUDE = """
import sys as _sys


class _DeployedOnly:
    '''Finds only what Lambda has: inbox_dev.deployed.'''

    modules = frozenset({modules!r})
    distributions = frozenset({distributions!r})

    def __init__(self, finder):
        self.finder = finder

    def find_spec(self, name, path=None, target=None):
        if path is None and name.partition(".")[0] not in self.modules:
            return None
        return self.finder.find_spec(name, path, target)

    def find_distributions(self, *args, **kwargs):
        # The name importlib.metadata takes from the folder's name, so no METADATA file is read
        # for a distribution Lambda would not even have.
        found = self.finder.find_distributions(*args, **kwargs)
        return (dist for dist in found if self.normalized(dist) in self.distributions)

    @staticmethod
    def normalized(dist):
        name = getattr(dist, "_normalized_name", None) or dist.metadata["Name"] or ""
        return name.lower().replace("-", "_").replace(".", "_")

    def invalidate_caches(self):
        self.finder.invalidate_caches()


_sys.meta_path[:] = [
    _DeployedOnly(finder) if hasattr(finder, "find_distributions") else finder
    for finder in _sys.meta_path
]
del _sys, _DeployedOnly
"""


def prelude() -> str:
    """Code that makes the process it runs in import only what a deployed function can.

    The finders that search sys.path (the only ones with ``find_distributions``) are wrapped; the
    built-in and frozen ones find only standard modules. It imports nothing but ``sys``, which every
    process has, so the imports timed after it cost what they cost without it.
    """
    found = deployed()
    return _PRELUDE.format(modules=sorted(found.modules), distributions=sorted(found.distributions))
