"""Independent validation of OME-Zarr stores written on disk.

Every store the test suite writes is checked by three validators that share no code with
``xarray_omezarr``:

1. the OME-NGFF JSON schemas carried in ``tests/data/ngff/`` (see its README; image groups
   against ``image`` *and* ``strict_image``, label images additionally against ``label``, plates
   and wells against ``plate``/``strict_plate`` and ``well``/``strict_well``);
2. ``ome-zarr-models`` (``ome_zarr_models.v04`` / ``v05`` / ``v06`` group models,
   ``Cls.from_zarr(group)``), which also checks that the arrays named in the metadata exist with the
   right dimensionality and, for 0.5 and 0.6, ``dimension_names``. Its 0.6 models come with
   ome-zarr-models 1.8 (Python 3.12+); where they are missing, 0.6 groups are not checked by it;
3. ``yaozarrs.validate_zarr_store``, which walks the whole hierarchy (labels, plates, wells,
   fields) and checks structure and metadata. yaozarrs has no 0.6 models: for 0.6 it checks each
   level's array metadata (a Zarr v3 array whose ``dimension_names`` are its coordinate system's
   axes) through ``yaozarrs.open_group``.

0.6 groups are checked against the released 0.6 schemas, which accept the tags "0.6" and "0.6rc0".

Warnings that the two libraries raise for broken SHOULD rules (units that are not UDUNITS-2
names, transforms in the wrong order, ...) count as failures unless ``allow_warnings=True``.

Examples
--------
In a test (the repository root is on pytest's ``pythonpath``, and ``tests`` is a package)::

    from tests.support.validators import validate_store
    validate_store(tmp_path / "cells.ome.zarr")
"""

from __future__ import annotations

import functools
import json
import os
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

__all__ = [
    "StoreNode",
    "has_ome_zarr_models_v06",
    "layout_problems",
    "metadata_problems",
    "ngff_dir",
    "ome_zarr_models_problems",
    "read_attributes",
    "schema_problems",
    "schema_validator",
    "schema_version",
    "store_nodes",
    "validate_metadata",
    "validate_store",
    "yaozarrs_problems",
]

SUPPORTED_VERSIONS = ("0.4", "0.5", "0.6")
# Tags read from stores that the schemas of a supported version check (the released 0.6 schemas accept
# the release candidate's tag).
_SCHEMA_VERSION = {"0.6rc0": "0.6"}
_SCHEMA_HOST = "https://ngff.openmicroscopy.org"
# How many characters of one error message to keep: oneOf/anyOf failures can be enormous.
_MAX_MESSAGE = 400


# --------------------------------------------------------------------------------------------
# JSON schemas
# --------------------------------------------------------------------------------------------


def ngff_dir() -> Path:
    """Return the directory holding the OME-NGFF schemas and test cases (``tests/data/ngff``).

    The environment variable ``OMEZARR_NGFF_DIR`` overrides the default location, e.g. to test against
    a newer copy of the spec's files.
    """
    override = os.environ.get("OMEZARR_NGFF_DIR")
    path = Path(override) if override else Path(__file__).resolve().parents[1] / "data" / "ngff"
    if not (path / "0.5" / "schemas").is_dir():
        raise FileNotFoundError(
            f"OME-NGFF schemas not found in {path} (expected {path}/0.5/schemas/). "
            "They ship with the repository in tests/data/ngff; set OMEZARR_NGFF_DIR to use another copy."
        )
    return path


@functools.cache
def _registry(schema_dir: Path, version: str) -> Registry:
    """A registry resolving every schema's ``$id`` (and its versioned URL) to the local file.

    Some 0.4 files carry a ``.../latest/schemas/...`` ``$id``; they are registered under both that
    id and ``.../0.4/schemas/<file>`` so that references by either URL resolve offline.
    """
    resources: list[tuple[str, Resource]] = []
    for file in sorted(schema_dir.glob("*.schema")):
        contents = json.loads(file.read_text())
        resource = Resource.from_contents(contents, default_specification=DRAFT202012)
        uris = {f"{_SCHEMA_HOST}/{version}/schemas/{file.name}"}
        if "$id" in contents:
            uris.add(contents["$id"])
        resources.extend((uri, resource) for uri in uris)
    return Registry().with_resources(resources)


@functools.cache
def _schema_validator(schema_dir: Path, version: str, name: str) -> Draft202012Validator:
    file = schema_dir / f"{name}.schema"
    if not file.is_file():
        raise FileNotFoundError(f"no schema {file}")
    schema = json.loads(file.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=_registry(schema_dir, version))


def schema_validator(version: str, schema_name: str) -> Draft202012Validator:
    """A Draft 2020-12 validator for ``<ngff_dir>/<version>/schemas/<schema_name>.schema``.

    ``schema_name`` may be given with or without the ``.schema`` suffix, e.g. ``"strict_image"``.
    References between schemas are resolved from the local files, never from the network.
    """
    version = schema_version(version)
    if version not in SUPPORTED_VERSIONS:
        raise ValueError(f"unsupported OME-NGFF version {version!r}; expected one of {SUPPORTED_VERSIONS}")
    name = schema_name.removesuffix(".schema")
    return _schema_validator(ngff_dir() / version / "schemas", version, name)


def schema_version(tag: str | None) -> str | None:
    """The supported version whose schemas check a version tag (``"0.6rc0"`` -> ``"0.6"``)."""
    return _SCHEMA_VERSION.get(tag or "", tag)


def _schema_errors(version: str, schema_name: str, document: Any) -> list[str]:
    validator = schema_validator(version, schema_name)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    out = []
    for error in errors:
        where = "/".join(map(str, error.absolute_path)) or "<document>"
        out.append(f"{where}: {_shorten(error.message)}")
    return out


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


# --------------------------------------------------------------------------------------------
# Reading a store
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreNode:
    """One OME group in a store: its path relative to the root ("" for the root) and kind.

    ``kind`` is one of ``"image"``, ``"label-image"``, ``"labels"``, ``"plate"``, ``"well"``.
    """

    path: str
    kind: str
    version: str
    zarr_format: int


def read_attributes(group_dir: str | os.PathLike[str]) -> tuple[int, dict[str, Any]]:
    """Return ``(zarr_format, attributes)`` of the group in directory ``group_dir``.

    Zarr v3 groups keep their attributes in ``zarr.json``; zarr v2 groups in ``.zattrs`` (beside
    ``.zgroup``).
    """
    group_dir = Path(group_dir)
    v3 = group_dir / "zarr.json"
    if v3.is_file():
        meta = json.loads(v3.read_text())
        if meta.get("node_type") != "group":
            raise AssertionError(
                f"{group_dir}: zarr.json is not a group (node_type={meta.get('node_type')!r})"
            )
        return 3, meta.get("attributes", {})
    if (group_dir / ".zgroup").is_file():
        zattrs = group_dir / ".zattrs"
        return 2, json.loads(zattrs.read_text()) if zattrs.is_file() else {}
    raise AssertionError(f"{group_dir}: no zarr group here (neither zarr.json nor .zgroup)")


def _ome_block(zarr_format: int, attributes: dict[str, Any]) -> dict[str, Any]:
    """The dict holding the OME keys: ``attributes["ome"]`` for zarr v3, the attributes for v2."""
    if zarr_format == 3:
        ome = attributes.get("ome")
        return ome if isinstance(ome, dict) else {}
    return attributes


def _kind(ome: dict[str, Any]) -> str | None:
    if "image-label" in ome and "multiscales" in ome:
        return "label-image"
    for key, kind in (("multiscales", "image"), ("plate", "plate"), ("well", "well"), ("labels", "labels")):
        if key in ome:
            return kind
    return None


def _version(zarr_format: int, ome: dict[str, Any]) -> str | None:
    if zarr_format == 3:
        return ome.get("version")
    # 0.4 keeps the version inside each block.
    for key in ("multiscales", "plate", "well", "image-label"):
        block = ome.get(key)
        if isinstance(block, list) and block and isinstance(block[0], dict):
            block = block[0]
        if isinstance(block, dict) and "version" in block:
            return block["version"]
    return None


def _node(root: Path, rel: str, expected: set[str], parent_version: str | None) -> StoreNode:
    zarr_format, attributes = read_attributes(root / rel if rel else root)
    ome = _ome_block(zarr_format, attributes)
    kind = _kind(ome)
    where = rel or "<root>"
    if kind is None:
        raise AssertionError(f"{where}: no OME-NGFF metadata (attributes: {sorted(attributes)})")
    if kind not in expected:
        raise AssertionError(f"{where}: expected an OME group of kind {sorted(expected)}, found {kind!r}")
    # A 0.4 ``labels`` group has no version field of its own: it inherits its image's. (A 0.5
    # group without one is reported by the validators; walking on lets them say so.)
    version = _version(zarr_format, ome) or parent_version
    if schema_version(version) not in SUPPORTED_VERSIONS:
        raise AssertionError(
            f"{where}: cannot validate OME-NGFF version {version!r} (supported: {', '.join(SUPPORTED_VERSIONS)})"
        )
    assert version is not None
    wanted_format = 2 if version == "0.4" else 3
    if zarr_format != wanted_format:
        raise AssertionError(
            f"{where}: OME-NGFF {version} must be zarr v{wanted_format}, found v{zarr_format}"
        )
    return StoreNode(rel, kind, version, zarr_format)


def _join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p.strip("/"))


def store_nodes(path: str | os.PathLike[str]) -> list[StoreNode]:
    """Walk the OME groups of the store at ``path``.

    Yields the root, then ``labels`` and ``labels/<name>`` below every image, and for a plate
    every well and every field of view (with their labels).
    """
    nodes, problems = _collect(path)
    if problems:
        raise AssertionError("\n".join(problems))
    return nodes


def _collect(path: str | os.PathLike[str]) -> tuple[list[StoreNode], list[str]]:
    """Like :func:`store_nodes`, but a broken child group becomes a problem and is skipped.

    A root that is not an OME group of a supported version still raises ``AssertionError``.
    """
    root = Path(path)
    if not root.is_dir():
        raise AssertionError(f"{root}: not a directory")
    problems: list[str] = []
    nodes = list(_walk(root, "", {"image", "label-image", "plate", "well", "labels"}, None, problems))
    return nodes, problems


def _walk(
    root: Path, rel: str, expected: set[str], parent_version: str | None, problems: list[str]
) -> Iterator[StoreNode]:
    try:
        node = _node(root, rel, expected, parent_version)
    except AssertionError as error:
        if not rel:
            raise
        problems.append(str(error))
        return
    yield node
    _, attributes = read_attributes(root / rel if rel else root)
    ome = _ome_block(node.zarr_format, attributes)
    if node.kind == "image":
        labels_dir = root / rel / "labels" if rel else root / "labels"
        if (labels_dir / "zarr.json").is_file() or (labels_dir / ".zgroup").is_file():
            yield from _walk(root, _join(rel, "labels"), {"labels"}, node.version, problems)
    elif node.kind == "labels":
        for name in ome.get("labels", []):
            yield from _walk(root, _join(rel, str(name)), {"label-image"}, node.version, problems)
    elif node.kind == "plate":
        for well in ome.get("plate", {}).get("wells", []):
            yield from _walk(root, _join(rel, str(well.get("path", ""))), {"well"}, node.version, problems)
    elif node.kind == "well":
        for image in ome.get("well", {}).get("images", []):
            yield from _walk(root, _join(rel, str(image.get("path", ""))), {"image"}, node.version, problems)


def layout_problems(path: str | os.PathLike[str]) -> list[str]:
    """Groups that the metadata names (labels, wells, fields) but that are missing or not OME."""
    return _collect(path)[1]


# --------------------------------------------------------------------------------------------
# The three validators. Each returns a list of readable problems (empty when valid).
# --------------------------------------------------------------------------------------------

_SCHEMAS_BY_KIND = {
    "image": ("image", "strict_image"),
    "label-image": ("image", "strict_image", "label"),
    "plate": ("plate", "strict_plate"),
    "well": ("well", "strict_well"),
    # The spec has no schema for the ``labels`` group itself; the libraries check it.
    "labels": (),
}


def _schema_names(kind: str, strict_labels: bool) -> tuple[str, ...]:
    names = _SCHEMAS_BY_KIND[kind]
    if kind == "label-image" and strict_labels:
        names = (*names, "strict_label")
    return names


def schema_problems(path: str | os.PathLike[str], *, strict_labels: bool = False) -> list[str]:
    """Validate every OME group of the store against the OME-NGFF JSON schemas.

    ``strict_labels`` adds ``strict_label.schema`` (which requires ``colors``) for label images.
    """
    root = Path(path)
    nodes, _ = _collect(root)  # broken child groups are reported by layout_problems
    problems = []
    for node in nodes:
        _, attributes = read_attributes(root / node.path if node.path else root)
        for name in _schema_names(node.kind, strict_labels):
            for error in _schema_errors(node.version, name, attributes):
                problems.append(f"{node.path or '<root>'} ({node.version}/{name}.schema): {error}")
    return problems


def has_ome_zarr_models_v06() -> bool:
    """Whether the installed ome-zarr-models has 0.6 models (1.8 and later, on Python 3.12+)."""
    try:
        import ome_zarr_models.v06  # noqa: F401
    except ImportError:
        return False
    return True


def _ome_zarr_models_classes(version: str) -> dict[str, Any]:
    if version == "0.4":
        from ome_zarr_models import v04 as models
    elif version == "0.5":
        from ome_zarr_models import v05 as models
    else:
        import ome_zarr_models.v06 as models  # type: ignore[import-not-found,no-redef,unused-ignore]
    return {
        "image": models.Image,
        "label-image": models.ImageLabel,
        "labels": models.Labels,
        "plate": models.HCS,
        "well": models.Well,
    }


def ome_zarr_models_problems(path: str | os.PathLike[str], *, allow_warnings: bool = False) -> list[str]:
    """Validate every OME group of the store with ``ome_zarr_models.v04``/``v05`` models.

    Each group is opened read-only with ``zarr.open_group`` and parsed with
    ``<Model>.from_zarr(group)`` (``Image``, ``ImageLabel``, ``Labels``, ``HCS`` or ``Well``).
    """
    import zarr

    root = Path(path)
    nodes, _ = _collect(root)  # broken child groups are reported by layout_problems
    problems = []
    for node in nodes:
        if schema_version(node.version) == "0.6" and not has_ome_zarr_models_v06():
            continue  # ome-zarr-models before 1.8 has no 0.6 models
        cls = _ome_zarr_models_classes(schema_version(node.version) or "")[node.kind]
        label = f"{node.path or '<root>'} (ome_zarr_models.v0{node.version[-1]}.{cls.__name__})"

        def parse(node: StoreNode = node, cls: Any = cls) -> None:
            group = zarr.open_group(
                str(root / node.path if node.path else root), mode="r", zarr_format=node.zarr_format
            )
            cls.from_zarr(group)

        problems.extend(f"{label}: {p}" for p in _run(parse, allow_warnings))
    return problems


def yaozarrs_problems(path: str | os.PathLike[str], *, allow_warnings: bool = False) -> list[str]:
    """Validate structure and metadata of the whole store with ``yaozarrs.validate_zarr_store``."""
    import yaozarrs

    root = Path(path)
    nodes, _ = _collect(root)  # the same readable error as the other validators for a root that is not OME
    if schema_version(nodes[0].version) == "0.6":
        return _yaozarrs_v06_array_problems(root, nodes)

    def validate() -> None:
        yaozarrs.validate_zarr_store(str(root))

    return _run(validate, allow_warnings)


def _yaozarrs_v06_array_problems(root: Path, nodes: list[StoreNode]) -> list[str]:
    """yaozarrs has no 0.6 models: check each level's array metadata with its Zarr v3 array model.

    Every dataset must be a Zarr v3 array with one dimension per axis of the coordinate system its
    transformation leads to, named (``dimension_names``) after those axes; label levels hold integers.
    """
    import yaozarrs

    problems = []
    for node in nodes:
        if node.kind not in ("image", "label-image"):
            continue
        where = node.path or "<root>"
        _, attributes = read_attributes(root / node.path if node.path else root)
        for multiscale in _ome_block(3, attributes).get("multiscales") or []:
            systems = {
                cs.get("name"): cs.get("axes") or [] for cs in multiscale.get("coordinateSystems") or []
            }
            group = yaozarrs.open_group(str(root / node.path if node.path else root))
            for dataset in multiscale.get("datasets") or []:
                path = str(dataset.get("path"))
                try:
                    array = group[path]
                except (KeyError, ValueError, FileNotFoundError) as error:
                    problems.append(f"{where}: dataset {path!r} is not in the store ({error})")
                    continue
                if not isinstance(array, yaozarrs.ZarrGroup) and array.zarr_format != 3:
                    problems.append(f"{where}/{path}: OME-NGFF 0.6 arrays are Zarr v3, this one is v2")
                    continue
                meta = array.metadata
                if getattr(meta, "node_type", None) != "array":
                    problems.append(f"{where}/{path}: not an array")
                    continue
                transforms = dataset.get("coordinateTransformations") or [{}]
                output = transforms[0].get("output")
                output = output.get("name") if isinstance(output, dict) else output
                names = [a.get("name") for a in systems.get(output, [])]
                if list(meta.dimension_names or []) != names:
                    problems.append(
                        f"{where}/{path}: dimension_names {meta.dimension_names} are not the axes {names} of "
                        f"coordinate system {output!r}"
                    )
                if len(meta.shape) != len(names):
                    problems.append(f"{where}/{path}: {len(meta.shape)} dimensions for {len(names)} axes")
                if node.kind == "label-image" and not str(meta.data_type).startswith(("int", "uint")):
                    problems.append(f"{where}/{path}: a label image holds integers, not {meta.data_type}")
    return problems


def _run(check: Callable[[], None], allow_warnings: bool) -> list[str]:
    """Run ``check``; return its exception and (unless allowed) its warnings as messages."""
    problems = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            check()
        except Exception as error:  # any failure of a validator is a finding
            problems.append(f"{type(error).__name__}: {_indent(str(error))}")
    if not allow_warnings:
        for warning in caught:
            # Deprecation noise from the libraries' own dependencies is not a finding about the store.
            if issubclass(warning.category, DeprecationWarning | PendingDeprecationWarning):
                continue
            # A file some other test left open, closed by the garbage collector meanwhile.
            if issubclass(warning.category, ResourceWarning):
                continue
            problems.append(f"{warning.category.__name__}: {_indent(str(warning.message))}")
    return problems


def _indent(text: str) -> str:
    lines = text.strip().splitlines()
    if len(lines) > 40:
        lines = [*lines[:40], f"... ({len(lines) - 40} more lines)"]
    return "\n      ".join(lines)


def validate_store(
    path: str | os.PathLike[str], *, strict_labels: bool = False, allow_warnings: bool = False
) -> None:
    """Raise ``AssertionError`` unless the OME-Zarr store at ``path`` passes all three validators.

    Parameters
    ----------
    path
        A local directory: a zarr v2 store (OME-NGFF 0.4) or a zarr v3 store (0.5) whose root is an
        image, a label image, a plate or a well.
    strict_labels
        Also require label images to pass ``strict_label.schema`` (``colors`` present).
    allow_warnings
        Do not count the libraries' SHOULD-level warnings as failures.

    Examples
    --------
    ::

        validate_store(tmp_path / "cells.ome.zarr")  # raises AssertionError listing every problem
    """
    sections = {
        "store layout": layout_problems(path),
        "JSON schema": schema_problems(path, strict_labels=strict_labels),
        "ome-zarr-models": ome_zarr_models_problems(path, allow_warnings=allow_warnings),
        "yaozarrs": yaozarrs_problems(path, allow_warnings=allow_warnings),
    }
    _raise_if_any(f"OME-Zarr store {path} is invalid:", sections)


def _raise_if_any(title: str, sections: dict[str, list[str]]) -> None:
    """Raise ``AssertionError`` listing each validator's problems under ``title``, if there are any."""
    failed = {name: problems for name, problems in sections.items() if problems}
    if failed:
        report = [title]
        for name, problems in failed.items():
            report.append(f"  [{name}]")
            report.extend(f"    - {p}" for p in problems)
        raise AssertionError("\n".join(report))


# --------------------------------------------------------------------------------------------
# Metadata documents without a store (the spec's JSON test cases)
# --------------------------------------------------------------------------------------------


def metadata_problems(
    document: dict[str, Any],
    version: str,
    *,
    strict: bool = True,
    strict_labels: bool = False,
    allow_warnings: bool = False,
) -> dict[str, list[str]]:
    """Validate one group's attributes document (``.zattrs`` for 0.4, ``attributes`` for 0.5).

    Runs the JSON schemas (strict ones unless ``strict=False``), the ``ome-zarr-models``
    attribute model (``ImageAttrs``, ``ImageLabelAttrs``, ``HCSAttrs``, ``WellAttrs``,
    ``LabelsAttrs``; ``Model.model_validate``) and ``yaozarrs.validate_ome_object`` with
    ``v04.OMEZarrGroupJSON`` / ``v05.OMEAttributes``. Nothing that needs arrays is checked.
    Returns the problems found, keyed by validator.
    """
    import yaozarrs

    zarr_format = 2 if version == "0.4" else 3
    ome = _ome_block(zarr_format, document)
    kind = _kind(ome)
    if kind is None:
        return {"JSON schema": [f"no OME-NGFF metadata in {sorted(document)}"]}
    names = _schema_names(kind, strict_labels)
    if not strict:
        names = tuple(n for n in names if not n.startswith("strict_"))
    schema = [f"{n}.schema: {e}" for n in names for e in _schema_errors(version, n, document)]

    if schema_version(version) == "0.6":
        # yaozarrs has no 0.6 models; ome-zarr-models has them from 1.8 (Python 3.12+)
        models_06: list[str] = []
        if has_ome_zarr_models_v06():
            classes = _ome_zarr_models_attrs_classes("0.6")
            models_06 = _run(lambda: classes[kind].model_validate(ome), allow_warnings)
        return {"JSON schema": schema, "ome-zarr-models": models_06, "yaozarrs": []}

    attrs_classes = _ome_zarr_models_attrs_classes(version)

    def models() -> None:
        attrs_classes[kind].model_validate(ome)

    def yao() -> None:
        target = yaozarrs.v04.OMEZarrGroupJSON if version == "0.4" else yaozarrs.v05.OMEAttributes
        yaozarrs.validate_ome_object(document, target)

    return {
        "JSON schema": schema,
        "ome-zarr-models": _run(models, allow_warnings),
        "yaozarrs": _run(yao, allow_warnings),
    }


def _ome_zarr_models_attrs_classes(version: str) -> dict[str, Any]:
    return {kind: _attrs_of(cls) for kind, cls in _ome_zarr_models_classes(version).items()}


def _attrs_of(group_cls: Any) -> Any:
    """The attributes model of an ome-zarr-models group class (``Image`` -> ``ImageAttrs``)."""
    import importlib

    module = importlib.import_module(group_cls.__module__)
    return getattr(module, f"{group_cls.__name__}Attrs")


def validate_metadata(document: dict[str, Any], version: str, **options: Any) -> None:
    """Raise ``AssertionError`` if :func:`metadata_problems` finds anything."""
    _raise_if_any(f"OME-NGFF {version} metadata is invalid:", metadata_problems(document, version, **options))
