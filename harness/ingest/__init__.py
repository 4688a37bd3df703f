"""Ingest: read stories (references + key facts) and candidates from disk into Documents.

Layout: `gold/<story>/story.yaml` lists the references and key facts; `candidates/<story>/` holds one
file per summariser output. A folder of reference files without a story.yaml is read as a story too
(every readable file is a reference, no key facts), so any folder can be evaluated without a config.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import date
from pathlib import Path

from harness.document import CONTENT_KINDS, Document, InputError, KeyFact, Story, check_plain_name, did_you_mean
from harness.files import MAX_FILE_MB, read_regular_file
from harness.ingest.readers import JSON_EXTENSIONS, TEXT_EXTENSIONS, TEXT_READERS, detect_format, load_yaml, read_json
from harness.ingest.validation import schema_problems

STORY_FILE = "story.yaml"
IGNORED_NAMES = {"story.yaml", "readme.md", "readme.txt", ".gitkeep"}


def decode(path: Path, max_mb: float = MAX_FILE_MB) -> str:
    """Read a file as UTF-8 text with normalised newlines, refusing binary, empty and oversized files."""
    raw = read_regular_file(
        path, int(max_mb * 1_000_000), "raise [ingest] max_file_mb in harness.toml, or split the file"
    )
    if b"\x00" in raw:
        raise InputError(path, f"binary data (NUL bytes, first at byte {raw.index(0)}), expected UTF-8 text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"invalid UTF-8 at byte {exc.start}; save the file as UTF-8") from exc
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InputError(path, "empty file (no text)")
    return text


def confined(path: Path, root: Path, origin: Path | str, field: str | None = None) -> Path:
    """`path` if it lies inside `root` once symlinks and `..` are resolved, else an InputError naming
    `origin` (the file that named it): nothing outside the input folders is ever read."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise InputError(origin, f"'{path}' leads outside {root} (to {resolved}): refused", field)
    return path


def read_document(path: Path, system: str = "", max_mb: float = MAX_FILE_MB) -> Document:
    """Read one reference or candidate file with the reader its format calls for."""
    text = decode(path, max_mb)
    fmt = detect_format(path, text)
    if fmt == "json":
        text, blocks, metadata = read_json(path, text)
    else:
        blocks, metadata = TEXT_READERS[fmt](path, text)
    if not any(b.kind in CONTENT_KINDS for b in blocks):
        raise InputError(path, f"no summary text found (read as {fmt}; every line was furniture, metadata or headings)")
    doc_id = str(metadata.get("id") or path.stem)
    return Document(
        doc_id, str(path), fmt, text, blocks, metadata, system=str(metadata.get("system") or system or doc_id)
    )


def is_input_file(path: Path) -> bool:
    """Every visible entry that is not a folder or a known non-input name. FIFOs, devices and links that
    lead nowhere are included on purpose: reading them gives an error row, never a silent skip."""
    return not path.is_dir() and not path.name.startswith(".") and path.name.lower() not in IGNORED_NAMES


def load_story_spec(story_dir: Path, gold: Path | None = None) -> dict:
    """The story file, validated against its schema; a folder without one gets a spec from its files. The
    folder and its story file must lie inside `gold` (default: the folder itself) once links are resolved:
    a story linked to a system folder, or a story.yaml linked to a system file, is refused, not published."""
    spec_path = story_dir / STORY_FILE
    if gold is not None:
        confined(story_dir, gold, story_dir)
    if spec_path.is_symlink():
        confined(spec_path, gold or story_dir, spec_path)
    if not spec_path.exists():
        files = sorted(p for p in story_dir.iterdir() if is_input_file(p))
        if not files:
            raise InputError(story_dir, "no reference files and no story.yaml")
        return {
            "id": story_dir.resolve().name,
            "title": story_dir.resolve().name,
            "references": [{"file": p.name} for p in files],
        }
    spec = load_yaml(decode(spec_path), spec_path)
    if isinstance(spec, dict) and hasattr(spec.get("date"), "isoformat"):
        spec["date"] = spec["date"].isoformat()
    if isinstance(spec, dict) and isinstance(spec.get("date"), str):
        try:  # the schema checks the shape; "2026-02-30" has the shape of a date and is none
            date.fromisoformat(spec["date"])
        except ValueError as exc:
            raise InputError(spec_path, f"invalid date '{spec['date']}': {exc}", "date") from exc
    problems = schema_problems(spec, "story")
    if problems:
        field, message = problems[0]
        raise InputError(spec_path, message + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""), field)
    if "id" in spec:
        check_plain_name(spec["id"], spec_path, "id")
    return spec


def _named_file(
    story_dir: Path, name: str, origin: Path, field: str, gold: Path | None, max_mb: float, what: str = "reference"
) -> Document:
    """A file a story file names, read only if it lies inside the gold folder."""
    if Path(name).is_absolute():
        raise InputError(origin, f"'{name}' is an absolute path: name a file inside the gold folder", field)
    path = confined(story_dir / name, gold or story_dir, origin, field)
    if not path.exists() and not path.is_symlink():
        raise InputError(origin, f"{what} file '{name}' does not exist", field)
    return read_document(path, max_mb=max_mb)


def load_story(story_dir: Path, max_mb: float = MAX_FILE_MB, gold: Path | None = None) -> Story:
    """References, reference summaries and key facts of one story; a missing or unreadable file fails the
    story. Every file must lie inside the gold folder `gold` (default: the story's own folder). Its key facts
    are the hand-written ones: those of its reference summaries, or derived ones, are added by
    harness.evaluation.keyfacts.with_key_facts, a step of its own after ingest."""
    spec = load_story_spec(story_dir, gold)
    origin = story_dir / STORY_FILE if (story_dir / STORY_FILE).exists() else story_dir
    references = []
    for index, ref in enumerate(spec["references"]):
        doc = _named_file(story_dir, ref["file"], origin, f"references/{index}/file", gold, max_mb)
        doc.metadata.setdefault("title", ref.get("title", doc.doc_id))
        if ref.get("publisher"):
            doc.metadata["publisher"] = ref["publisher"]
        references.append(doc)
    summaries = [
        _named_file(story_dir, entry["file"], origin, f"summaries/{index}/file", gold, max_mb, "summary")
        for index, entry in enumerate(spec.get("summaries", []))
    ]
    facts = [
        KeyFact(f["id"], f["fact"], float(f.get("weight", 1.0)), list(f.get("must_mention", [])))
        for f in spec.get("key_facts", [])
    ]
    for index, fact in enumerate(facts):
        if not math.isfinite(fact.weight):  # .nan passes the schema's bounds (no comparison with NaN is true)
            raise InputError(
                story_dir / STORY_FILE, f"weight {fact.weight}: expected a finite number", f"key_facts/{index}/weight"
            )
    counts = Counter(f.fact_id for f in facts)  # linear: a story may list tens of thousands of facts
    duplicates = sorted(i for i, n in counts.items() if n > 1)
    if duplicates:
        raise InputError(story_dir / STORY_FILE, f"duplicate key fact ids: {', '.join(duplicates)}", "key_facts")
    story_id = spec.get("id") or check_plain_name(story_dir.resolve().name, story_dir, "folder name")
    return Story(
        story_id,
        spec["title"],
        spec.get("date"),
        references,
        facts,
        summaries=summaries,
    )


def find_story_dirs(gold: Path) -> list[Path]:
    """`gold` itself when it is one story, else each sub-folder."""
    if not gold.is_dir():
        raise InputError(gold, "gold folder does not exist")
    if (gold / STORY_FILE).exists() or not any(p.is_dir() for p in gold.iterdir()):
        return [gold]
    return sorted(p for p in gold.iterdir() if p.is_dir() and not p.name.startswith("."))


def candidate_folder(candidates: Path, story_id: str, single_story: bool) -> Path | None:
    """Where a story's candidates are: `candidates/<story>/`, or the flat folder when there is one story."""
    folder = candidates / story_id
    if folder.is_dir():
        return folder
    return candidates if single_story and candidates.is_dir() else None


def candidate_files(folder: Path | None) -> list[Path]:
    """Candidate files of a story: the files directly in its `candidate_folder` (none without one)."""
    return sorted(p for p in folder.iterdir() if is_input_file(p)) if folder else []


def nested_folders(folder: Path) -> list[InputError]:
    """A folder inside a story's candidates is never read: an error says so rather than a silent skip."""
    return [
        InputError(sub, f"is a folder inside the candidates folder {folder}: only the files directly in it are read")
        for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    ]


def read_candidate(path: Path, root: Path, max_mb: float) -> Document:
    """One candidate file, refused if a link leads it outside the candidates folder `root`."""
    return read_document(confined(path, root, path), max_mb=max_mb)


def load_stories(gold: Path, candidates: Path, max_mb: float = MAX_FILE_MB) -> tuple[list[Story], list[InputError]]:
    """Every story with its candidates. A bad story or candidate is an error, never the end of the run."""
    stories: list[Story] = []
    errors: list[InputError] = []
    story_dirs = find_story_dirs(gold)
    first_dir: dict[str, Path] = {}
    if not candidates.is_dir():
        errors.append(InputError(candidates, "candidates folder does not exist"))
    for story_dir in story_dirs:
        try:
            story = load_story(story_dir, max_mb, gold)
            if story.story_id in first_dir:
                raise InputError(
                    story_dir / STORY_FILE,
                    f"duplicate story id '{story.story_id}' (also "
                    f"{first_dir[story.story_id]}): each story needs its own id",
                    "id",
                )
        except InputError as exc:
            errors.append(exc)
            continue
        except Exception as exc:  # a reader's bug must not sink the other stories: an error row that says so
            errors.append(InputError(story_dir, f"could not be read ({type(exc).__name__}: {exc}); please report this"))
            continue
        first_dir[story.story_id] = story_dir
        folder = candidate_folder(candidates, story.story_id, len(story_dirs) == 1)
        if folder is not None:
            story.errors.extend(nested_folders(folder))
        for path in candidate_files(folder):
            try:
                story.candidates.append(read_candidate(path, candidates, max_mb))
            except InputError as exc:
                story.errors.append(exc)
            except Exception as exc:  # a reader's bug is this file's error row, not the end of the run
                story.errors.append(
                    InputError(path, f"could not be read ({type(exc).__name__}: {exc}); please report this")
                )
        seen: dict[str, str] = {}
        # a file named after the id keeps it (takeaways.txt over a JSON file saying "id": "takeaways"), else the
        # first file by name; the others are errors
        for doc in sorted(story.candidates, key=lambda d: Path(d.path).stem != d.doc_id):
            if doc.doc_id in seen:
                story.errors.append(
                    InputError(doc.path, f"duplicate candidate id '{doc.doc_id}' (also {seen[doc.doc_id]})", "id")
                )
            else:
                seen[doc.doc_id] = doc.path
        story.candidates = [doc for doc in story.candidates if seen.get(doc.doc_id) == doc.path]
        if not story.candidates and not story.errors:
            story.errors.append(InputError(candidates / story.story_id, "no candidate files for this story"))
        stories.append(story)
    known = {s.story_id for s in stories} | {d.name for d in story_dirs}
    per_story = len(story_dirs) > 1 or any((candidates / s.story_id).is_dir() for s in stories)
    if candidates.is_dir() and per_story:  # candidates/<story>/ folders: one with no story is an error
        for folder in sorted(p for p in candidates.iterdir() if p.is_dir() and p.name not in known):
            if not folder.name.startswith("."):
                errors.append(
                    InputError(
                        folder,
                        f"candidates for story '{folder.name}' have no references in {gold}"
                        + did_you_mean(folder.name, known),
                    )
                )
    return stories, errors


__all__ = [
    "decode",
    "read_document",
    "load_story",
    "load_stories",
    "detect_format",
    "InputError",
    "TEXT_EXTENSIONS",
    "JSON_EXTENSIONS",
]
