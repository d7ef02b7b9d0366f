"""The casebook build: resolve parameters, generate the data once, run every chapter, render the site.

``python -m casebook build`` (see :mod:`casebook.cli`) calls :func:`plan_build`
(all input checks, before any work) and then :func:`run_build`:

1. parameters per chapter = the notebook's own defaults (its ``parameters``
   cell) < the profile (``casebook/book/profiles.yml``) < ``--config`` < ``--set``;
   the build always sets ``results_path`` and ``data_dir``;
2. the synthetic data set is generated once per distinct
   ``(scenario, seed, n_customers, overrides, data_dir)`` with
   ``synthetic.load`` -- the very call the chapters make, so they hit its cache;
3. each chapter runs with papermill (kernel ``python3``) in filename order; a
   failing chapter does not stop the others and its executed notebook is kept;
4. the executed notebook (volatile timing metadata removed), the student page,
   the slide deck, the figures, the scorecard and ``index.html`` are written
   under the output folder (see :data:`LAYOUT`).
"""

from __future__ import annotations

import ast
import contextlib
import copy
import dataclasses
import datetime as dt
import json
import os
import queue
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import nbformat
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .. import __version__
from .lanes import (
    MEASURED_MARGIN,
    chapter_peaks,
    chapter_worlds,
    choose_lanes,
    generate_worlds,
    measured_peaks,
    reference_peaks,
    run_in_lanes,
)
from .usage import KernelWatch

KERNEL_NAME = "python3"
CHAPTER_RE = re.compile(r"^(?P<number>\d{2})_[A-Za-z0-9_-]+\.ipynb$")
CONTRACT = ("seed", "n_customers", "scenario", "overrides", "data_dir", "results_path")
DATA_KEYS = ("scenario", "seed", "n_customers", "overrides")
PROFILE_KEYS = ("description", "parameters", "timeout", "memory")  # the fields of :class:`Profile`
DEFAULT_PROFILE = "classroom"

#: Output layout, relative to the output folder.
LAYOUT = {
    "index": "index.html",
    "manifest": "build.json",
    "scorecard": "scorecard.html",
    "notebooks": "notebooks",  # executed notebooks, <chapter>.ipynb
    "results": "results",  # results records, <chapter>.json
    "pages": "pages",  # student pages, <chapter>.html
    "slides": "slides",  # slide decks, <chapter>.slides.html
    "figures": "figures",  # <chapter>-figNN-<slug>.png
    "assets": "assets",  # reveal.js, CSS
}

PAPERMILL_VOLATILE = ("start_time", "end_time", "duration")
PAPERMILL_PATHS = ("input_path", "output_path")


class UsageError(Exception):
    """Bad input to the build, found before any work: names the option and what is allowed."""

    def __init__(self, option: str, message: str):
        self.option = option
        self.message = message
        super().__init__(f"{option}: {message}")


class BuildError(Exception):
    """The build cannot go on (e.g. the data set could not be generated)."""


# --------------------------------------------------------------------------- chapters
@dataclass(frozen=True)
class Chapter:
    """One chapter notebook: ``notebooks/NN_name.ipynb``."""

    name: str  # "02_clv"
    number: str  # "02"
    path: Path
    title: str


def discover_chapters(notebooks_dir: str | os.PathLike) -> list[Chapter]:
    """Chapters ``NN_name.ipynb`` in ``notebooks_dir``, in filename order.

    Raises :class:`UsageError` (``--notebooks``) if the folder is missing or holds no chapter.
    """
    folder = Path(notebooks_dir)
    if not folder.is_dir():
        raise UsageError("--notebooks", f"folder not found: {folder}")
    chapters = []
    for path in sorted(folder.glob("*.ipynb")):
        m = CHAPTER_RE.match(path.name)
        if not m:
            continue
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as exc:  # unreadable JSON: still a chapter, it will fail visibly
            title = f"{path.stem} (unreadable: {type(exc).__name__})"
        else:
            from .render import notebook_title

            title = notebook_title(nb, path.stem)
        chapters.append(Chapter(name=path.stem, number=m.group("number"), path=path.resolve(), title=title))
    if not chapters:
        raise UsageError("--notebooks", f"no chapter notebooks (NN_name.ipynb) in {folder}")
    return chapters


def select_chapters(chapters: list[Chapter], only: Iterable[str] | None) -> list[Chapter]:
    """The chapters named by ``--only`` (number ``02``/``2`` or name ``02_clv``), in build order."""
    if not only:
        return chapters
    wanted = []
    for item in only:
        key = item.strip().removesuffix(".ipynb")
        if key.isdigit():
            key = f"{int(key):02d}"
        match = [c for c in chapters if key in (c.number, c.name)]
        if not match:
            allowed = ", ".join(c.number for c in chapters)
            raise UsageError(
                "--only", f"no chapter {item!r}; allowed: {allowed} (or full names like {chapters[0].name})"
            )
        wanted.extend(match)
    return [c for c in chapters if c in wanted]


# --------------------------------------------------------------------------- profiles and parameters
class Profile(BaseModel):
    """One build profile (``casebook/book/profiles.yml``, or a ``--config`` file)."""

    model_config = ConfigDict(extra="forbid")

    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=dict)  # notebook parameters (overrides: {dotted.key: value})
    timeout: float | None = Field(None, gt=0, description="seconds one cell may run; null: no limit")
    memory: float | None = Field(
        None, ge=0.5, le=1024, description="GB the chapters' kernels may use together (--memory); null: no limit"
    )

    @field_validator("description", "parameters", mode="before")
    @classmethod
    def _null_is_empty(cls, v, info):
        return ({} if info.field_name == "parameters" else "") if v is None else v

    @field_validator("timeout", "memory", mode="before")
    @classmethod
    def _no_bool(cls, v, info):
        if isinstance(v, bool):
            unit = "seconds > 0" if info.field_name == "timeout" else "GB from 0.5 to 1024"
            raise ValueError(f"must be a number of {unit} or null")
        return v


def load_profiles(config: str | os.PathLike | None = None, profile: str | None = None) -> dict[str, dict]:
    """Built-in profiles (``casebook/book/profiles.yml``), merged with a user ``--config`` file.

    The config file either lists profiles in the same format (a profile of the
    same name is merged over the built-in one, parameter by parameter) or is a
    single profile body (``parameters:``/``timeout:``/``description:``) laid
    over the selected ``profile``. A bad profile is a :class:`UsageError` naming the file and key.
    """
    text = resources.files("casebook.book").joinpath("profiles.yml").read_text(encoding="utf-8")
    where = "casebook/book/profiles.yml"
    profiles = {str(k): _check_profile(str(k), v, where) for k, v in (yaml.safe_load(text) or {}).items()}
    if config is None:
        return profiles
    path = Path(config)
    if not path.is_file():
        raise UsageError("--config", f"file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise UsageError("--config", f"{path} is not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if data is None:
        return profiles
    if not isinstance(data, Mapping):
        raise UsageError("--config", f"{path} must hold a mapping (profiles, or parameters:/timeout:/description:)")
    if set(data) & set(PROFILE_KEYS):
        data = {profile or DEFAULT_PROFILE: data}
    for name, body in data.items():
        given = set(body) if isinstance(body, Mapping) else set()
        body = _check_profile(str(name), body, str(path))
        base = copy.deepcopy(profiles.get(str(name), Profile().model_dump()))
        params = base["parameters"]
        for key, value in body["parameters"].items():
            if key == "overrides" and isinstance(value, Mapping) and isinstance(params.get("overrides"), Mapping):
                params["overrides"] = {**params["overrides"], **value}
            else:
                params[key] = value
        for key in ("description", "timeout", "memory"):
            if key in given:
                base[key] = body[key]
        profiles[str(name)] = base
    return profiles


def _check_profile(name: str, body: Any, where: str) -> dict:
    """``body`` validated by :class:`Profile`, as a plain dict; else one-line :class:`UsageError`."""
    from ..claims import one_line_error

    option = "--config" if where != "casebook/book/profiles.yml" else "profiles"
    if not isinstance(body, Mapping):
        raise UsageError(option, f"{where}: profile {name!r} must be a mapping with keys {', '.join(PROFILE_KEYS)}")
    try:
        return Profile.model_validate(dict(body)).model_dump()
    except ValidationError as exc:
        line = one_line_error(exc, f"{where}: profile {name!r}")
        if "unknown key" in line:
            line += f"; allowed: {', '.join(PROFILE_KEYS)}"
        raise UsageError(option, line) from None


def parse_set(items: Iterable[str]) -> dict[str, Any]:
    """``--set key=value`` items as a dict; values are YAML scalars (``3``, ``0.5``, ``history``, ``[a, b]``).

    Raises :class:`UsageError` (``--set``) for an item without ``=`` or an empty key.
    """
    out: dict[str, Any] = {}
    for item in items or ():
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key or not re.fullmatch(r"[A-Za-z_][\w.]*", key):
            raise UsageError(
                "--set",
                f"expected KEY=VALUE, e.g. seed=3 or overrides.outsourcing.satisfaction_effect=0 (got {item!r})",
            )
        try:
            out[key] = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError as exc:
            raise UsageError("--set", f"cannot parse the value of {key!r}: {getattr(exc, 'problem', exc)}") from None
    return out


@dataclass
class Settings:
    """The resolved build settings (before the notebooks' own defaults are applied)."""

    profile: str
    description: str
    parameters: dict[str, Any]  # overrides flattened to dotted keys
    timeout: float | None
    memory_gb: float | None = None  # the profile's memory budget for the kernels together (GB)


def _flatten_overrides(value: Any, option: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise UsageError(option, f"overrides must be a mapping of dotted keys to values (got {type(value).__name__})")
    from synthetic.scenario import flatten

    return flatten(value)


def resolve_settings(profile: str, profiles: Mapping[str, dict], sets: Mapping[str, Any] | None = None) -> Settings:
    """Merge the profile's parameters with ``--set`` values (dotted ``overrides.*`` keys go into ``overrides``).

    Raises :class:`UsageError` for an unknown profile or a ``results_path`` override
    (the build chooses it).
    """
    if profile not in profiles:
        raise UsageError("--profile", f"unknown profile {profile!r}; allowed: {', '.join(profiles)}")
    body = profiles[profile]
    params = dict(body.get("parameters", {}))
    overrides = _flatten_overrides(params.pop("overrides", None), "--profile" if profile else "--config")
    for key, value in (sets or {}).items():
        if key.startswith("overrides."):
            overrides[key.removeprefix("overrides.")] = value
        elif key == "overrides":
            overrides.update(_flatten_overrides(value, "--set"))
        else:
            params[key] = value
    if "results_path" in params:
        raise UsageError("--set", "results_path is chosen by the build (<out>/results/<chapter>.json); use --out")
    params["overrides"] = overrides
    return Settings(
        profile=profile,
        description=body.get("description", ""),
        parameters=params,
        timeout=body.get("timeout"),
        memory_gb=body.get("memory"),
    )


def notebook_defaults(path: str | os.PathLike) -> tuple[dict[str, Any], set[str]]:
    """The ``parameters`` cell of a notebook: ``(literal defaults, all parameter names)``.

    Uses papermill's own inspection; defaults that are not Python literals are left out.
    """
    import papermill

    info = papermill.inspect_notebook(str(path))
    values = {}
    for name, p in info.items():
        try:
            values[name] = ast.literal_eval(p["default"])
        except (ValueError, SyntaxError, TypeError):
            continue
    return values, set(info)


@dataclass
class ChapterPlan:
    """What the build will do for one chapter."""

    chapter: Chapter
    parameters: dict[str, Any]  # passed to papermill
    effective: dict[str, Any]  # defaults + parameters (what the chapter will see)
    problem: str | None = None  # a chapter that cannot run (e.g. no parameters cell)


@dataclass
class BuildPlan:
    """Everything decided before any work: the output of :func:`plan_build`."""

    settings: Settings
    chapters: list[ChapterPlan]
    all_chapters: list[Chapter]
    notebooks_dir: Path
    out_dir: Path
    data_dir: Path
    pregenerate: bool = True
    lanes: int | str = "auto"  # chapters executed at once (see casebook.book.lanes.choose_lanes)
    pdf: bool = True  # print PDF handouts at the end (casebook/book/pdf.py); --no-pdf turns it off
    student: str | None = None  # casebook build --student ID: that student's world and edition
    memory_gb: float | None = None  # --memory: the chapters' kernels together stay under this (GB)

    def path(self, key: str, chapter: Chapter | None = None, suffix: str = "") -> Path:
        """Output path of a :data:`LAYOUT` entry (per chapter if ``chapter`` is given)."""
        base = self.out_dir / LAYOUT[key]
        return base if chapter is None else base / f"{chapter.name}{suffix}"


def check_writable_dir(option: str, path: str | os.PathLike) -> Path:
    """``path`` as an absolute folder that exists or can be created and written; else :class:`UsageError`."""
    p = Path(path).expanduser().absolute()
    if p.exists() and not p.is_dir():
        raise UsageError(option, f"{p} exists and is not a folder")
    from synthetic.errors import ParameterError
    from synthetic.store import check_writable

    try:
        check_writable(p, option)  # probes with a real file: permission bits mislead for root
    except ParameterError as exc:
        raise UsageError(option, exc.message) from None
    return p


def plan_build(
    profile: str = DEFAULT_PROFILE,
    sets: Iterable[str] = (),
    config: str | os.PathLike | None = None,
    out_dir: str | os.PathLike = "build",
    notebooks_dir: str | os.PathLike = "notebooks",
    only: Iterable[str] | None = None,
    data_dir: str | os.PathLike | None = None,
    pregenerate: bool = True,
    lanes: int | str = "auto",
    pdf: bool = True,
    student: str | None = None,
    memory_gb: float | None = None,
) -> BuildPlan:
    """Check every input and decide each chapter's parameters, before any work.

    ``data_dir`` defaults to ``data/`` beside the notebooks folder (the repo's
    git-ignored ``data/``), shared by every build and by the notebooks run by hand.
    ``lanes``: chapters executed at once (a number from 1 to 8, or ``"auto"``: one per core
    while memory allows). ``memory_gb``: the chapters running at once keep their expected
    kernel peaks together under this many GB (a chapter larger than that runs alone); None takes
    the profile's ``memory`` (see ``profiles.yml``), 0 lifts the profile's limit.
    Raises :class:`UsageError` naming the bad option.
    """
    if memory_gb is not None and (
        isinstance(memory_gb, bool)
        or not isinstance(memory_gb, (int, float))
        or not (memory_gb == 0 or 0.5 <= memory_gb <= 1024)
    ):
        raise UsageError("--memory", f"must be a number of GB from 0.5 to 1024, or 0 for no limit (got {memory_gb!r})")
    if lanes != "auto" and (isinstance(lanes, bool) or not isinstance(lanes, int) or not 1 <= lanes <= 8):
        raise UsageError("--lanes", f"must be 'auto' or a whole number from 1 to 8 (got {lanes!r})")
    set_values = parse_set(sets)
    if student is not None:
        from .editions import student_settings

        set_values = student_settings(student, set_values)  # the student's seed (UsageError if --set seed too)
    profiles = load_profiles(config, profile)
    settings = resolve_settings(profile, profiles, set_values)
    all_chapters = discover_chapters(notebooks_dir)
    chapters = select_chapters(all_chapters, only)
    out = check_writable_dir("--out", out_dir)
    nb_dir = Path(notebooks_dir).absolute()
    if out == nb_dir or nb_dir in out.parents:
        raise UsageError("--out", f"{out} is inside the notebooks folder; choose another folder (default: build)")
    if "data_dir" in settings.parameters:
        data_dir = settings.parameters.pop("data_dir")
    data = check_writable_dir("--data-dir", data_dir if data_dir is not None else nb_dir.parent / "data")

    inspected: dict[str, tuple[dict[str, Any], set[str]] | str] = {}
    for ch in chapters:
        try:
            inspected[ch.name] = notebook_defaults(ch.path)
        except Exception as exc:
            inspected[ch.name] = f"cannot read its parameters cell: {type(exc).__name__}: {exc}"
    known = set().union(*(v[1] for v in inspected.values() if not isinstance(v, str)))
    for key in settings.parameters:
        if key != "overrides" and key not in known:
            allowed = ", ".join(sorted(known - {"results_path", "overrides"}) or CONTRACT[:3])
            raise UsageError("--set", f"unknown parameter {key!r}; allowed: {allowed}, overrides.<dotted.key>")

    plans = []
    for ch in chapters:
        found = inspected[ch.name]
        if isinstance(found, str):
            plans.append(ChapterPlan(ch, {}, {}, problem=found))
            continue
        defaults, names = found
        missing = [k for k in CONTRACT if k not in names]
        if missing:
            plans.append(
                ChapterPlan(ch, {}, defaults, problem=f"parameters cell lacks {', '.join(missing)} (notebook contract)")
            )
            continue
        params = {k: v for k, v in settings.parameters.items() if k != "overrides" and k in names}
        if settings.parameters["overrides"]:
            base = defaults.get("overrides") if isinstance(defaults.get("overrides"), Mapping) else {}
            params["overrides"] = {**base, **settings.parameters["overrides"]}
        # chapters run with the output folder as working folder: paths relative to it, never the machine's
        params["data_dir"] = os.path.relpath(data, out)
        params["results_path"] = f"{LAYOUT['results']}/{ch.name}.json"
        effective = {**defaults, **params}
        _validate(
            ch,
            {**effective, "data_dir": str(data), "results_path": str(out / params["results_path"])},
            settings.profile,
        )
        plans.append(ChapterPlan(ch, params, effective))
    return BuildPlan(
        settings=settings,
        chapters=plans,
        all_chapters=all_chapters,
        notebooks_dir=nb_dir,
        out_dir=out,
        data_dir=data,
        pregenerate=pregenerate,
        lanes=lanes,
        pdf=pdf,
        student=student,
        memory_gb=settings.memory_gb if memory_gb is None else (float(memory_gb) or None),
    )


def _validate(chapter: Chapter, params: Mapping[str, Any], profile: str) -> None:
    """The chapter contract's checks (``casebook.params``), as a :class:`UsageError`."""
    from synthetic.errors import ParameterError

    from ..analysis.params import check_parameters

    if any(k not in params for k in CONTRACT):
        return  # a default that is not a literal: the notebook checks it itself
    try:
        check_parameters(**{k: params[k] for k in CONTRACT})
    except ParameterError as err:
        raise UsageError(
            f"parameter {err.parameter}",
            f"{err.message} (profile {profile}, chapter {chapter.name}; set it with --set KEY=VALUE)",
        ) from None


# --------------------------------------------------------------------------- data
def datasets(plan: BuildPlan) -> list[dict[str, Any]]:
    """Distinct ``synthetic.load`` calls the chapters will make (their own world and the worlds they
    declare in a ``worlds``-tagged cell, see :mod:`casebook.book.lanes`), in chapter order."""
    seen: dict[str, dict[str, Any]] = {}
    for cp in plan.chapters:
        if cp.problem or any(k not in cp.effective for k in DATA_KEYS):
            continue
        call = {k: cp.effective[k] for k in DATA_KEYS} | {"data_dir": str(plan.data_dir)}
        seen.setdefault(json.dumps(call, sort_keys=True, default=str), call)
        for extra in chapter_worlds(cp.chapter.path, call):  # worlds it declares, and its exercises' worlds
            seen.setdefault(json.dumps(extra, sort_keys=True, default=str), extra)
    return list(seen.values())


def pregenerate_data(calls: Iterable[Mapping[str, Any]], log: Callable[[str], None] = print) -> int:
    """Generate each data set once with ``synthetic.load`` (the chapters' own call, so they hit its cache).

    Returns the number of data sets. Raises :class:`BuildError` if ``synthetic.load``
    is missing or fails.
    """
    import synthetic

    try:
        load = synthetic.load
    except (AttributeError, ImportError) as exc:
        raise BuildError(
            f"synthetic.load is not available ({type(exc).__name__}: {exc}); cannot generate the data set"
        ) from None
    n = 0
    for call in calls:
        log(
            f"data: scenario={call['scenario']} seed={call['seed']} n_customers={call['n_customers']:,} "
            f"overrides={call['overrides'] or '{}'} -> {call['data_dir']}"
        )
        try:
            world = load(**call)
        except Exception as exc:
            raise BuildError(f"generating the data set failed: {type(exc).__name__}: {exc}") from exc
        del world
        n += 1
    return n


# --------------------------------------------------------------------------- execution
def strip_volatile_metadata(nb: nbformat.NotebookNode, drop_papermill: bool = False) -> nbformat.NotebookNode:
    """Remove run-dependent metadata in place; return ``nb``.

    Removes papermill's per-cell and notebook-level ``start_time``/``end_time``/``duration``,
    the notebook-level ``input_path``/``output_path``, and nbclient's per-cell
    ``execution`` timestamps. ``drop_papermill`` removes papermill's metadata altogether
    (for committed notebooks).
    """
    pm = nb.metadata.get("papermill")
    if pm is not None:
        for key in PAPERMILL_VOLATILE + PAPERMILL_PATHS:
            pm.pop(key, None)
        if drop_papermill:
            nb.metadata.pop("papermill")
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cpm = cell.metadata.get("papermill")
        if cpm is not None:
            for key in PAPERMILL_VOLATILE:
                cpm.pop(key, None)
            if drop_papermill:
                cell.metadata.pop("papermill")
    return nb


def slim_for_commit(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop figure outputs and empty tag lists in place; return ``nb`` (the committed copy).

    The committed chapters keep their text outputs (nbval checks the tagged *Key results*
    cell; students see tables and printed numbers) but no embedded images: a PNG is ~94 %
    of a chapter's bytes and changes on every re-run. The build's pages keep every figure.
    """
    for cell in nb.cells:
        if cell.metadata.get("tags") == []:
            cell.metadata.pop("tags")
        if cell.cell_type == "code":
            cell.outputs = [
                o for o in cell.get("outputs", []) if not any(k.startswith("image/") for k in o.get("data", {}))
            ]
    return nb


def write_text_twin(path: Path) -> None:
    """Write the jupytext ``py:percent`` twin beside notebook ``path`` (the reviewed source)."""
    from jupytext.cli import jupytext as jupytext_cli

    jupytext_cli(["--sync", "--quiet", str(path)])  # honours [tool.jupytext] in pyproject.toml


def has_volatile_metadata(nb: Mapping[str, Any]) -> list[str]:
    """Where ``nb`` still holds volatile run metadata (empty list: clean)."""
    found = []
    pm = nb.get("metadata", {}).get("papermill", {})
    found += [f"metadata.papermill.{k}" for k in PAPERMILL_VOLATILE if k in pm]
    for i, cell in enumerate(nb.get("cells", [])):
        md = cell.get("metadata", {})
        if "execution" in md:
            found.append(f"cells[{i}].metadata.execution")
        found += [f"cells[{i}].metadata.papermill.{k}" for k in PAPERMILL_VOLATILE if k in md.get("papermill", {})]
    return found


@dataclass
class Failure:
    """Where a chapter failed: the cell (index in the source notebook) and the exception."""

    cell_index: int | None
    execution_count: int | None
    first_line: str
    ename: str
    evalue: str

    def line(self) -> str:
        """One line: ``cell 3 (In [2]) `raise ValueError(...)` -> ValueError: boom``."""
        where = (
            "before any cell ran"
            if self.cell_index is None and self.execution_count is None
            else (
                f"cell {self.cell_index if self.cell_index is not None else '?'}"
                + (f" (In [{self.execution_count}])" if self.execution_count is not None else "")
            )
        )
        src = f" `{self.first_line}`" if self.first_line else ""
        msg = f"{self.ename}: {self.evalue}" if self.evalue else self.ename
        return f"{where}{src} -> {msg}"


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            return line.strip()[:100]
    return ""


def find_failure(
    executed: nbformat.NotebookNode | None, source: nbformat.NotebookNode | None, exc: BaseException | None = None
) -> Failure:
    """Locate the failing cell of an executed notebook (first error output, else the cell left running).

    ``cell_index`` is the index in the *source* notebook (matched by cell id), so
    the reader can find it in ``notebooks/``; papermill's marker cells are ignored.
    """
    ename = type(exc).__name__ if exc is not None else "Error"
    evalue = str(exc).strip().splitlines()[0][:300] if exc is not None and str(exc).strip() else ""
    hit = None
    if executed is not None:
        cells = [c for c in executed.cells if "papermill-error-cell-tag" not in c.metadata.get("tags", [])]
        for cell in cells:
            err = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
            if err is not None:
                hit, ename, evalue = cell, err.get("ename", ename), str(err.get("evalue", ""))[:300]
                break
        if hit is None:
            hit = next(
                (
                    c
                    for c in cells
                    if c.metadata.get("papermill", {}).get("status") in ("running", "failed")
                    or c.metadata.get("papermill", {}).get("exception") is True
                ),
                None,
            )
    if hit is None:
        return Failure(None, None, "", ename, evalue)
    index = None
    if source is not None and hit.get("id"):
        index = next((i for i, c in enumerate(source.cells) if c.get("id") == hit.get("id")), None)
    if index is None and "injected-parameters" in hit.metadata.get("tags", []):
        first = "(injected parameters)"
    else:
        first = _first_line(hit.source)
    return Failure(index, hit.get("execution_count"), first, ename, evalue)


INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


@contextlib.contextmanager
def inline_matplotlib_env():
    """Kernels started inside this block draw figures inline (PNG outputs), whatever ``MPLBACKEND`` says.

    A shell or test runner with ``MPLBACKEND=agg`` would otherwise give chapters
    without figures; kernels inherit this process's environment.
    """
    # chapters run in threads (build lanes): the first one in sets the variable, the last one out restores it
    with _MPL_ENV_LOCK:
        if _MPL_ENV_USERS[0] == 0:
            _MPL_ENV_USERS[1] = os.environ.get("MPLBACKEND")
            if _MPL_ENV_USERS[1] is not None:
                os.environ["MPLBACKEND"] = INLINE_BACKEND
        _MPL_ENV_USERS[0] += 1
    try:
        yield
    finally:
        with _MPL_ENV_LOCK:
            _MPL_ENV_USERS[0] -= 1
            if _MPL_ENV_USERS[0] == 0 and _MPL_ENV_USERS[1] is not None:
                os.environ["MPLBACKEND"] = _MPL_ENV_USERS[1]


#: environment variables that size the numeric libraries' thread pools (BLAS, OpenMP, numexpr)
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


@contextlib.contextmanager
def kernel_threads_env(n_threads: int):
    """Kernels started inside this block size their BLAS/OpenMP pools to ``n_threads`` (unless the user set them).

    With two chapters in two lanes on two cores, each kernel's BLAS spawning one thread per
    core oversubscribes the machine: chapter 01's fits ran 3-5 times slower that way. Set
    once before the lanes start and restored after they end (no kernel starts outside).
    """
    before = {k: os.environ.get(k) for k in THREAD_VARS}
    for k, v in before.items():
        if v is None:
            os.environ[k] = str(int(n_threads))
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)


_MPL_ENV_LOCK = threading.Lock()
_MPL_ENV_USERS: list = [0, None]  # threads inside inline_matplotlib_env, MPLBACKEND before the first


def execute_notebook(
    input_path: Path,
    output_path: Path,
    parameters: Mapping[str, Any] | None,
    timeout: float | None = None,
    progress: bool | dict = False,
    cwd: Path | None = None,
    watch: KernelWatch | None = None,
) -> Failure | None:
    """Run one notebook with papermill (kernel ``python3``; working folder ``cwd``, default the notebook's folder).

    The executed notebook is written to ``output_path`` as it runs, then rewritten
    atomically without volatile metadata. Returns ``None`` on success, else the
    :class:`Failure` (the notebook with the error is kept). With ``watch``
    (:class:`casebook.book.usage.KernelWatch`) the kernel's peak memory is recorded there.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from .render import write_atomic

    output_path.parent.mkdir(parents=True, exist_ok=True)
    error: BaseException | None = None
    engine_kwargs = {"kernel_manager_class": watch.manager_class()} if watch is not None else {}
    try:
        with inline_matplotlib_env(), watch or contextlib.nullcontext():
            papermill.execute_notebook(
                str(input_path),
                str(output_path),
                parameters=dict(parameters or {}),
                kernel_name=KERNEL_NAME,
                progress_bar=progress,
                # the kernel's working folder, set for the kernel alone: papermill's own ``cwd`` changes
                # the whole process's folder, which races when chapters run in threads (build lanes)
                resources={"metadata": {"path": str(Path(cwd or input_path.parent).resolve())}},
                execution_timeout=timeout,
                request_save_on_cell_execute=True,
                **engine_kwargs,
            )
    except KeyboardInterrupt:
        raise
    except PapermillExecutionError as exc:
        error = exc
    except Exception as exc:  # kernel died, cell timeout, unreadable notebook...
        error = exc
    executed = None
    if output_path.is_file():
        try:
            executed = nbformat.read(output_path, as_version=4)
        except Exception:
            executed = None
    if executed is not None:
        strip_volatile_metadata(executed)
        write_atomic(output_path, nbformat.writes(executed) + "\n")
    if error is None:
        return None
    source = nbformat.read(input_path, as_version=4) if input_path.is_file() else None
    if isinstance(error, PapermillExecutionError):
        return (
            find_failure(executed, source)
            if executed is not None
            else Failure(None, error.exec_count, _first_line(error.source), error.ename, str(error.evalue)[:300])
        )
    return find_failure(executed, source, error)


# --------------------------------------------------------------------------- the build
@dataclass
class ChapterResult:
    """What the build produced for one chapter (paths relative to the output folder)."""

    name: str
    number: str
    title: str
    status: str  # "ok" or "failed"
    error: str = ""
    notebook: str | None = None
    page: str | None = None
    slides: str | None = None
    results: str | None = None
    figures: list[str] = field(default_factory=list)
    n_records: int = 0
    missing_claims: list[str] = field(default_factory=list)  # listed in the opening, no record written
    parameters: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0  # executing and rendering the chapter
    run_seconds: float = 0.0  # executing it (papermill, kernel start to shutdown)
    kernel_peak_rss_mb: float | None = None  # its kernel's peak resident memory (casebook.book.usage)


@dataclass
class BuildReport:
    """The outcome of :func:`run_build`."""

    out_dir: Path
    chapters: list[ChapterResult]
    summary: dict[str, int]
    info: dict[str, Any]

    @property
    def failed(self) -> list[ChapterResult]:
        """Chapters that failed."""
        return [c for c in self.chapters if c.status != "ok"]

    @property
    def missing_claims(self) -> dict[str, list[str]]:
        """Chapters that list claims in their opening but wrote no record for them (build errors)."""
        return {c.name: c.missing_claims for c in self.chapters if c.missing_claims}


def _rel(path: Path | None, out: Path) -> str | None:
    return None if path is None else path.relative_to(out).as_posix()


def _common(values: list[Any]) -> Any:
    texts = {json.dumps(v, sort_keys=True, default=str) for v in values}
    return values[0] if len(texts) == 1 else None


def build_info(plan: BuildPlan, started: float, finished: float) -> dict[str, Any]:
    """Description of the build for the index page, the scorecard and ``build.json``."""
    eff = [cp.effective for cp in plan.chapters if cp.effective]

    def text(key: str, fmt: Callable[[Any], str] = str) -> str:
        vals = [e[key] for e in eff if key in e]
        if not vals:
            return "-"
        common = _common(vals)
        return fmt(common) if common is not None or len(vals) == 1 else "varies by chapter (see below)"

    def ov(v: Any) -> str:
        return ", ".join(f"{k}={val}" for k, val in v.items()) if v else "none (the scenario's own values)"

    return {
        "profile": plan.settings.profile,
        "description": plan.settings.description,
        "parameters": {k: v for k, v in plan.settings.parameters.items()},
        "seed": _common([e.get("seed") for e in eff]) if eff else None,
        "seed_text": text("seed"),
        "n_customers_text": text("n_customers", lambda v: f"{v:,}" if isinstance(v, int) else str(v)),
        "scenario_text": text("scenario"),
        "overrides_text": text("overrides", ov),
        "data_dir": portable_path(plan.data_dir, plan.out_dir),
        "notebooks_dir": portable_path(plan.notebooks_dir, plan.out_dir),
        "started": dt.datetime.fromtimestamp(started).isoformat(timespec="seconds"),
        "finished": dt.datetime.fromtimestamp(finished).strftime("%Y-%m-%d %H:%M"),
        "duration_text": f"{finished - started:.0f} s"
        if finished - started < 120
        else f"{(finished - started) / 60:.1f} min",
        "version": __version__,
    }


def portable_path(path: Path, out: Path) -> str:
    """``path`` relative to the output folder ``out`` (e.g. ``../data``), never the machine's absolute path.

    A path that shares no folder with ``out`` but the file-system root is given by its name only.
    """
    path, out = Path(path).absolute(), Path(out).absolute()
    if os.path.commonpath([path, out]) == path.anchor:
        return path.name
    return Path(os.path.relpath(path, out)).as_posix()


def _params_text(effective: Mapping[str, Any]) -> str:
    parts = []
    if "seed" in effective:
        parts.append(f"seed {effective['seed']}")
    if isinstance(effective.get("n_customers"), int):
        parts.append(f"{effective['n_customers']:,} customers")
    if "scenario" in effective:
        parts.append(f"scenario {effective['scenario']}")
    if effective.get("overrides"):
        parts.append(", ".join(f"{k}={v}" for k, v in effective["overrides"].items()))
    return " · ".join(parts)


def run_build(plan: BuildPlan, progress: bool = True, log: Callable[[str], None] | None = None) -> BuildReport:
    """Build the site into a temporary folder beside ``plan.out_dir`` and swap it in at the end.

    ``plan.out_dir`` is always either the old complete site or the new one; a killed
    build leaves only its temporary folder, removed by the next build (:func:`swap_site`).
    """
    from synthetic import atomic

    final = plan.out_dir
    final.parent.mkdir(parents=True, exist_ok=True)
    atomic.remove_stale(final.parent, final.name, salvage=lambda old: _move_foreign(old, final))
    work = atomic.temp_beside(final)
    with atomic.sigterm_as_exit():
        try:
            report = _run_build_into(dataclasses.replace(plan, out_dir=work), progress, log, site_dir=final)
            swap_site(work, final)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    report.out_dir = final
    return report


#: Top-level names a build writes; anything else in the output folder (e.g. a nested build/ci) is kept.
SITE_NAMES = frozenset(LAYOUT.values()) | {"scorecard.csv", "scorecard.json"}


def _move_foreign(src: Path, dest: Path) -> None:
    """Move entries of ``src`` that are not part of a site (and absent from ``dest``) into ``dest``."""
    if not dest.is_dir():
        return
    for entry in src.iterdir():
        if entry.name not in SITE_NAMES and not entry.name.startswith(".") and not (dest / entry.name).exists():
            os.rename(entry, dest / entry.name)


def swap_site(work: Path, out: Path) -> None:
    """Swap the finished site ``work`` in at ``out`` atomically; keep ``out``'s non-site entries; drop the old site."""
    from synthetic import atomic

    old = atomic.swap_in(work, out)
    if old is not None:
        _move_foreign(old, out)
        shutil.rmtree(old, ignore_errors=True)


def _run_build_into(
    plan: BuildPlan,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    site_dir: Path | None = None,
) -> BuildReport:
    """Generate the data, run and render every planned chapter, then write scorecard, index and manifest.

    ``plan.out_dir`` is the folder written (a temporary one beside the site); ``site_dir`` is where the
    site will live once swapped in (default ``plan.out_dir``): the latest sweep is looked up beside it.
    """
    from tqdm.auto import tqdm

    from . import render, scorecard

    def say(msg: str) -> None:
        (log or (lambda m: tqdm.write(m, file=sys.stderr)))(msg)

    started = time.time()
    out = plan.out_dir
    for key in ("notebooks", "results", "pages", "slides", "figures"):
        plan.path(key).mkdir(parents=True, exist_ok=True)
    render.copy_assets(out)

    stages: dict[str, float] = {}
    if plan.pregenerate:
        generate_worlds(datasets(plan), log=say)
    stages["worlds"] = time.time() - started

    renderer = render.Renderer(assets_href="../assets")
    names = [cp.chapter for cp in plan.chapters]
    bar = tqdm(
        total=len(plan.chapters),
        desc="chapters",
        unit="chapter",
        position=0,
        disable=not progress,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    n_max = max([cp.effective.get("n_customers", 0) for cp in plan.chapters] + [0])
    # peaks measured by the last build of this site at this size, if it ran every one of these chapters
    measured = measured_peaks((site_dir or out) / LAYOUT["manifest"], n_max, [cp.chapter.name for cp in plan.chapters])
    # each chapter's expected kernel peak: this site's last measurement at this size, else the shipped
    # measurements (kernel_peaks.yml, linear in customers), else the formula; measurements +5 %
    peaks = chapter_peaks([cp.chapter.name for cp in plan.chapters], n_max, measured, reference_peaks())
    n_lanes = choose_lanes(plan.lanes, len(plan.chapters), peaks)
    budget = None if plan.memory_gb is None else plan.memory_gb * 1e9
    if n_lanes > 1:
        per = max(peaks) / 1e9
        basis = "this site's last build" if measured else "kernel_peaks.yml or estimated"
        basis = f"largest peak, {basis}, +{MEASURED_MARGIN - 1:.0%}"
        say(
            f"running {len(plan.chapters)} chapters in {n_lanes} lanes (memory per chapter {per:.1f} GB, {basis})"
            + (f", kernels together under {plan.memory_gb:g} GB" if budget else "")
        )

    def job(cp: ChapterPlan) -> Callable[[], tuple[str, float, float | None]]:
        def run() -> tuple[str, float, float | None]:
            t0 = time.time()
            plan.path("results", cp.chapter, ".json").unlink(missing_ok=True)
            if cp.problem:
                return cp.problem, 0.0, None
            cell_bar = (
                {
                    "desc": f"  {cp.chapter.name}",
                    "position": 1,
                    "leave": False,
                    "file": sys.stderr,
                    "dynamic_ncols": True,
                }
                if progress and n_lanes == 1
                else False
            )
            nb_path = plan.path("notebooks", cp.chapter, ".ipynb")
            watch = KernelWatch()
            failure = execute_notebook(
                cp.chapter.path, nb_path, cp.parameters, plan.settings.timeout, cell_bar, cwd=plan.out_dir, watch=watch
            )
            return (failure.line() if failure else ""), time.time() - t0, watch.peak_mb

        return run

    # a chapter is rendered (page, slides, figures) by one render thread as soon as its kernel has exited,
    # while the lanes go on with the next chapters: rendering uses the core a waiting kernel leaves idle
    to_render: queue.Queue = queue.Queue()
    results: list[ChapterResult] = [None] * len(plan.chapters)  # type: ignore[list-item]

    def render_worker() -> None:
        while (item := to_render.get()) is not None:
            i, run = item
            results[i] = finish(i, plan.chapters[i], run)

    def executed(i: int, run: Any) -> None:
        bar.set_postfix_str(plan.chapters[i].chapter.name)
        bar.update(1)
        to_render.put((i, run))

    def finish(i: int, cp: ChapterPlan, run: tuple[str, float, float | None]) -> ChapterResult:
        """The chapter's result: its page, slides and figures rendered, its results file checked."""
        ch = cp.chapter
        t0 = time.time()
        nb_path = plan.path("notebooks", ch, ".ipynb")
        res_path = plan.path("results", ch, ".json")
        failure_line, run_seconds, peak_mb = run
        result = ChapterResult(
            name=ch.name,
            number=ch.number,
            title=ch.title,
            status="failed" if failure_line else "ok",
            error=failure_line,
            parameters=cp.effective,
            run_seconds=round(run_seconds, 1),
            kernel_peak_rss_mb=peak_mb,
        )
        if nb_path.is_file() and not cp.problem:
            result.notebook = _rel(nb_path, out)
            try:
                _render_chapter(plan, renderer, ch, nb_path, names, i, result)
            except Exception as exc:  # a rendering bug must not hide the other chapters
                result.status = "failed"
                result.error = (
                    result.error + "; " if result.error else ""
                ) + f"rendering failed: {type(exc).__name__}: {exc}"
        if res_path.is_file():
            result.results = _rel(res_path, out)
        elif result.status == "ok":  # ran, but its records are not where the build asked for them
            result.status = "failed"
            result.error = f"ran without error but wrote no results file at results_path ({_rel(res_path, out)})"
        result.seconds = round(run_seconds + time.time() - t0, 1)
        if result.status != "ok":
            say(f"FAILED {ch.name}: {result.error}")
        return result

    t_chapters = time.time()
    renderer_thread = threading.Thread(target=render_worker, name="render", daemon=True)
    renderer_thread.start()
    try:
        with kernel_threads_env(max(1, (os.cpu_count() or 1) // n_lanes)):
            run_in_lanes([job(cp) for cp in plan.chapters], n_lanes, executed, peaks=peaks, budget=budget)
    finally:
        to_render.put(None)
        renderer_thread.join()
    bar.close()
    stages["chapters"] = time.time() - t_chapters  # each chapter's page, slides and figures included
    t_render = time.time()

    # scorecard
    claims = scorecard.load_claims()
    records, problems = scorecard.read_chapter_results(
        {r.name: (out / r.results if r.results else None) for r in results}
    )
    failed = {r.name: r.error for r in results if r.status != "ok"}
    listed = {cp.chapter.name: scorecard.opening_claims(cp.chapter.path) for cp in plan.chapters}
    missing = scorecard.missing_listed(records, {k: v for k, v in listed.items() if k not in failed})
    for r in results:
        r.n_records = len(records.get(r.name, []))
        r.missing_claims = missing.get(r.name, [])
        if r.missing_claims:
            problems[r.name] = (
                f"lists {', '.join(r.missing_claims)} in its opening but wrote no record for "
                f"{'it' if len(r.missing_claims) == 1 else 'them'}"
            )
            say(f"ERROR {r.name}: {problems[r.name]}")
    sweep_stats, sweep_info = scorecard.load_sweep(scorecard.find_sweep(site_dir or out))
    rows = scorecard.scorecard_rows(records, claims, failed, sweep=sweep_stats)
    finished = time.time()
    info = build_info(plan, started, finished)
    scorecard.write_scorecard(
        rows,
        out,
        context=info,
        problems={k: v for k, v in problems.items() if k not in failed},
        sweep_info=sweep_info,
    )
    summary = scorecard.summarize(rows)

    from .editions import write_editions  # course editions: student, lecturer, answer key

    editions = write_editions(out, results, info, student=plan.student)

    # index and manifest
    chapters_ctx = []
    for r in results:
        d = asdict(r)
        d["params_text"] = _params_text(r.parameters)
        d["figures"] = [{"href": f, "label": f"fig {k + 1}"} for k, f in enumerate(r.figures)]
        chapters_ctx.append(d)
    from .pdf import build_handouts

    stages["render"] = time.time() - t_render
    t_pdf = time.time()
    pdfs = build_handouts(out, results, enabled=plan.pdf, log=say)  # {} with --no-pdf or without Chromium
    stages["pdf"] = time.time() - t_pdf
    render.render_site_page(
        "index.html.j2",
        out / LAYOUT["index"],
        title="Dell CRM Casebook",
        build=info,
        chapters=chapters_ctx,
        summary=summary,
        pdfs=pdfs,
        editions=editions,
    )
    manifest = {
        "build": info,
        "editions": editions,
        "summary": summary,
        "chapters": [asdict(r) for r in results],
        "failed": [{"chapter": r.name, "error": r.error} for r in results if r.status != "ok"],
        "missing_claims": {r.name: r.missing_claims for r in results if r.missing_claims},
        # wall seconds of each stage (worlds, chapters, render, pdf) and how many chapters ran at once
        "timings": {k: round(v, 1) for k, v in stages.items()} | {"lanes": n_lanes, "memory_gb": plan.memory_gb},
    }
    render.write_atomic(
        out / LAYOUT["manifest"], json.dumps(manifest, indent=2, default=str, ensure_ascii=False) + "\n"
    )
    return BuildReport(out_dir=out, chapters=results, summary=summary, info=info)


def _render_chapter(
    plan: BuildPlan, renderer, ch: Chapter, nb_path: Path, chapters: list[Chapter], i: int, result: ChapterResult
) -> None:
    """Write the page, the slides and the figures of one executed chapter; fill in ``result``'s paths."""
    from . import render

    out = plan.out_dir
    nb = nbformat.read(nb_path, as_version=4)
    nav = {
        "index": "../index.html",
        "scorecard": "../scorecard.html",
        "slides": f"../{LAYOUT['slides']}/{ch.name}.slides.html",
        "prev": {"href": f"{chapters[i - 1].name}.html", "title": chapters[i - 1].title} if i > 0 else None,
        "next": {"href": f"{chapters[i + 1].name}.html", "title": chapters[i + 1].title}
        if i + 1 < len(chapters)
        else None,
        "failed": result.error or None,
        "built_with": f"profile {plan.settings.profile}"
        + (f" · seed {result.parameters['seed']}" if "seed" in result.parameters else ""),
    }
    page = render.write_atomic(plan.path("pages", ch, ".html"), renderer.page(nb, ch.title, nav))
    result.page = _rel(page, out)
    slides = render.write_atomic(plan.path("slides", ch, ".slides.html"), renderer.slides(nb, ch.title))
    result.slides = _rel(slides, out)
    result.figures = [_rel(p, out) for p in render.extract_figures(nb, ch.name, plan.path("figures"))]


# --------------------------------------------------------------------------- committed notebooks
def execute_in_place(
    notebooks_dir: str | os.PathLike = "notebooks",
    only: Iterable[str] | None = None,
    failed_dir: str | os.PathLike = "build/failed",
    timeout: float | None = None,
    pregenerate: bool = True,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> list[tuple[Chapter, Failure]]:
    """Re-run chapters top to bottom with their own defaults and store the outputs in the notebooks.

    For the committed notebooks (``make notebooks``): no parameters are injected,
    papermill's metadata and nbclient's timestamps are removed, and a notebook is
    replaced (atomically) only when it ran cleanly; a failed run is saved to
    ``failed_dir`` instead. Returns the failures.
    """
    from tqdm.auto import tqdm

    from .render import write_atomic

    def say(msg: str) -> None:
        (log or (lambda m: tqdm.write(m, file=sys.stderr)))(msg)

    chapters = select_chapters(discover_chapters(notebooks_dir), only)
    failed_path = check_writable_dir("--failed-dir", failed_dir)
    if pregenerate:
        calls: dict[str, dict] = {}
        for ch in chapters:
            defaults, _ = notebook_defaults(ch.path)
            if all(k in defaults for k in DATA_KEYS + ("data_dir",)):
                call = {k: defaults[k] for k in DATA_KEYS}
                call["data_dir"] = str((ch.path.parent / defaults["data_dir"]).resolve())
                calls.setdefault(json.dumps(call, sort_keys=True, default=str), call)
                for extra in chapter_worlds(ch.path, call):
                    calls.setdefault(json.dumps(extra, sort_keys=True, default=str), extra)
        generate_worlds(list(calls.values()), log=say)
    failures = []
    for ch in tqdm(chapters, desc="notebooks", unit="notebook", disable=not progress, file=sys.stderr):
        tmp = failed_path / f"{ch.name}.ipynb"
        cell_bar = {"desc": f"  {ch.name}", "position": 1, "leave": False, "file": sys.stderr} if progress else False
        failure = execute_notebook(ch.path, tmp, None, timeout, cell_bar)
        if failure is None:
            nb = slim_for_commit(strip_volatile_metadata(nbformat.read(tmp, as_version=4), drop_papermill=True))
            write_atomic(ch.path, nbformat.writes(nb) + "\n")
            write_text_twin(ch.path)
            tmp.unlink()
        else:
            say(f"FAILED {ch.name}: {failure.line()} (run kept in {tmp}; {ch.path.name} left unchanged)")
            failures.append((ch, failure))
    return failures
