"""Developer sessions: ``nox -s lint``, ``nox -s typecheck``, ``nox -s tests`` (3.11, 3.12, 3.13), ``nox -s docs``.

The test extra installs the independent validators (ome-zarr-models, yaozarrs) and the peers used
as oracles (ome-zarr, ngff-zarr) on every Python version listed here: all of them install on
3.11, 3.12 and 3.13 as of this writing. The versions differ: on 3.11 the newest that install are
ome-zarr 0.18 and ome-zarr-models 1.7 (the peer versions the project targets); 3.12 and 3.13 get
newer ones (ome-zarr 0.21, ome-zarr-models 1.8 and zarr 3.4 at the time of writing). If a peer ever
stops installing on one of these versions, drop that version from ``PYTHONS`` for the tests session
and say why here; never make the tests that need it skip, since a skipped test hides what it was
meant to check.

The exception is ``nox -s ngff06`` (Python 3.12): OME-NGFF 0.6 against ome-zarr-models 1.8 and
ome-zarr-py 0.21, the first releases with 0.6, which install only on Python 3.12+. Its tests (marker
``ngff06_interop``) skip on 3.11, where the project's pinned peers have no 0.6; the 3.12 and 3.13 runs of
``tests`` get the same releases and run them too.
"""

from __future__ import annotations

import nox

PYTHONS = ["3.11", "3.12", "3.13"]

# docs is a default too: its notebooks run the package end to end, and CI builds it after the tests.
nox.options.sessions = ["lint", "typecheck", "tests", "docs"]
nox.options.default_venv_backend = "venv"
# A developer machine rarely has all three interpreters; missing ones are skipped, not failed.
# (With pyenv, `pyenv global 3.11 3.12 3.13` puts python3.12 and python3.13 on PATH for nox.)
nox.options.error_on_missing_interpreters = False


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """Ruff lint and format check, and the layering contracts (import-linter, in pyproject.toml)."""
    session.install("ruff", "import-linter", "-e", ".")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("lint-imports")


@nox.session(python="3.11")
def typecheck(session: nox.Session) -> None:
    """Mypy on the package (settings in pyproject.toml)."""
    session.install("-e", ".", "mypy")
    session.run("mypy", "xarray_omezarr")


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The full test suite, the same command as README and .ci/run."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python="3.11")
def docs(session: nox.Session) -> None:
    """The documentation site, warnings as errors, its notebooks executed: docs/_build/html/index.html."""
    session.install("-e", ".[docs]")
    session.run("python", "-m", "sphinx", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html")


@nox.session(python="3.12")
def ngff06(session: nox.Session) -> None:
    """OME-NGFF 0.6 against ome-zarr-models 1.8 and ome-zarr-py 0.21 (both need Python 3.12+)."""
    session.install("-e", ".[test]", "ome-zarr-models==1.8.*", "ome-zarr==0.21.*")
    session.run("python", "-m", "pytest", "-m", "ngff06_interop", "tests", *session.posargs)
    # the 0.6 writer and reader, and the validators with ome-zarr-models' 0.6 models
    session.run(
        "python", "-m", "pytest", "tests/test_ngff06.py", "tests/test_validators.py", *session.posargs
    )
