"""Format readers: each takes the decoded text of a file and returns (format, blocks, metadata).

The format is detected from the extension and the content, so files are read as people have them,
with no hand-editing: a `.txt` file that starts with YAML front matter is read as Markdown, a text
whose lines carry ` ||| ` is a takeaway list, one with Summary / Key Points / article sections is a digest.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from harness.document import Block, InputError
from harness.ingest.blocks import ENTITY_DUMP, lines_to_blocks
from harness.ingest.validation import validate_instance

TEXT_EXTENSIONS = {".txt", ".text", ".md", ".markdown"}
JSON_EXTENSIONS = {".json"}
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<yaml>.*?\n)---[ \t]*\n", re.S)
MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+", re.M)
MAX_NESTING = 32  # levels of JSON/YAML nesting; inputs deeper than this are refused, never recursed into


class _PlainYamlLoader(yaml.SafeLoader):
    """SafeLoader without aliases: `*name` references let a few hundred bytes expand to gigabytes (the
    "billion laughs"), and story files and front matter have no use for them."""

    def compose_node(self, parent, index):  # noqa: ANN001 - PyYAML's signature
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "YAML aliases (*name) are not allowed", event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):  # noqa: ANN001 - PyYAML's signature
        """A key given twice is an error naming its line: PyYAML would keep the last one silently."""
        seen: set = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue  # a list or mapping as a key: the schema refuses it with a clearer message
            if key_node.value in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key_node.value}' (each key may appear once)", key_node.start_mark
                )
            seen.add(key_node.value)
        return super().construct_mapping(node, deep)

    def construct_yaml_timestamp(self, node):  # noqa: ANN001 - PyYAML's signature
        """An impossible date (2026-02-30) is a YAML error at its line, not a ValueError from datetime."""
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"invalid date '{node.value}': {exc}", node.start_mark
            ) from exc


_PlainYamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _PlainYamlLoader.construct_yaml_timestamp)


def nesting_depth(value: Any) -> int:
    """How deeply lists and mappings nest in `value`, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth <= MAX_NESTING:
                stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _check_nesting(value: Any, path: Path, what: str, field: str | None = None) -> Any:
    if nesting_depth(value) > MAX_NESTING:
        raise InputError(path, f"{what} nested more than {MAX_NESTING} levels deep: refused", field)
    return value


def lone_surrogate(text: str) -> str | None:
    """Where `text` holds half of a UTF-16 surrogate pair (JSON's "\\ud800" escape, YAML's too), in words;
    None for text that is valid Unicode. Such text cannot be written as UTF-8: a report holding it would fail
    after the whole run, so it is refused on the way in."""
    try:
        text.encode("utf-8")
        return None
    except UnicodeEncodeError as exc:
        return f"a lone surrogate \\u{ord(text[exc.start]):04x} at character {exc.start} (not valid Unicode text)"


def _check_unicode(value: Any, path: Path, what: str, field: str | None = None) -> Any:
    """Refuse `value` if any of its strings (keys included) is not valid Unicode, naming where it is
    (`summary`, `key_facts/0/fact`)."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, where = stack.pop()
        strings: list[tuple[str, str]] = []
        if isinstance(item, str):
            strings = [(item, where)]
        elif isinstance(item, dict):
            strings = [(key, where) for key in item if isinstance(key, str)]
            stack.extend((child, f"{where}/{key}".lstrip("/")) for key, child in item.items())
        elif isinstance(item, list):
            stack.extend((child, f"{where}/{i}".lstrip("/")) for i, child in enumerate(item))
        for text, location in strings:
            problem = lone_surrogate(text)
            if problem:
                named = f" ({location})" if location else ""
                raise InputError(path, f"{what} string{named} holds {problem}", field)
    return value


def load_yaml(text: str, path: Path, field: str | None = None) -> Any:
    """YAML as plain data: no aliases, no tags beyond the safe ones, bounded nesting."""
    try:
        value = _check_nesting(yaml.load(text, Loader=_PlainYamlLoader), path, "YAML", field)
        return _check_unicode(value, path, "a YAML", field)
    except yaml.YAMLError as exc:
        raise InputError(path, f"invalid YAML: {' '.join(str(exc).split())}", field) from exc
    except RecursionError as exc:
        raise InputError(path, f"YAML nested more than {MAX_NESTING} levels deep: refused", field) from exc


def load_json(text: str, path: Path) -> Any:
    """JSON with bounded nesting (the standard parser recurses, and so does everything downstream)."""
    try:
        return _check_unicode(_check_nesting(json.loads(text), path, "JSON"), path, "a JSON")
    except json.JSONDecodeError as exc:
        raise InputError(path, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    except RecursionError as exc:
        raise InputError(path, f"JSON nested more than {MAX_NESTING} levels deep: refused") from exc


def detect_format(path: Path, text: str) -> str:
    """Name the reader for a file: json, markdown, takeaways, digest or plain."""
    suffix = path.suffix.lower()
    if suffix in JSON_EXTENSIONS:
        return "json"
    if suffix not in TEXT_EXTENSIONS:
        raise InputError(
            path,
            f"unknown format '{suffix or '(no extension)'}': expected one of "
            + ", ".join(sorted(TEXT_EXTENSIONS | JSON_EXTENSIONS)),
        )
    if FRONT_MATTER.match(text) or suffix in (".md", ".markdown"):
        return "markdown"
    if "|||" in text:
        return "takeaways"
    lowered = {ln.strip().lower().rstrip(":") for ln in text.splitlines()}
    if {"summary", "key points"} <= lowered or "articles in this cluster" in lowered:
        return "digest"
    return "plain"


def read_plain(path: Path, text: str) -> tuple[list[Block], dict[str, Any]]:
    blocks = lines_to_blocks(text)
    return blocks, _metadata_from_blocks(blocks)


read_takeaways = read_plain  # ` ||| ` items are split by the shared line rules


def read_markdown(path: Path, text: str) -> tuple[list[Block], dict[str, Any]]:
    """YAML front matter becomes metadata (recorded as a metadata block); `#` marks are headings."""
    metadata: dict[str, Any] = {}
    blocks: list[Block] = []
    body_start = 0
    match = FRONT_MATTER.match(text)
    if match:
        loaded = load_yaml(match.group("yaml"), path, "front matter") or {}
        if not isinstance(loaded, dict):
            raise InputError(path, "front matter must be a mapping of fields", "front matter")
        metadata.update({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in loaded.items()})
        body_start = match.end()
        blocks.append(
            Block("metadata", text[:body_start].rstrip("\n"), 0, body_start - 1, "front matter", "YAML front matter")
        )
    body = MARKDOWN_HEADING.sub(lambda m: " " * len(m.group(0)), text[body_start:])
    body_blocks = lines_to_blocks(body, base=body_start)
    for block in body_blocks:
        line_start = text.rfind("\n", 0, block.start) + 1
        if text.startswith("#", line_start):
            block.kind = "heading"
    blocks.extend(body_blocks)
    metadata.update({k: v for k, v in _metadata_from_blocks(body_blocks).items() if k not in metadata})
    return blocks, metadata


def read_digest(path: Path, text: str) -> tuple[list[Block], dict[str, Any]]:
    """A news-cluster digest: Summary, Key Points, then one titled paragraph per clustered article,
    each followed by a run-together `Entities: ...Tone: ...Sentiment: ...Intent: ...` dump."""
    blocks = lines_to_blocks(text)
    metadata = _metadata_from_blocks(blocks)
    articles: list[dict[str, Any]] = []
    for block in blocks:
        if block.section != "articles" or block.kind == "section":
            continue
        if block.kind in ("heading", "title"):
            block.kind = "heading"
            articles.append({"title": block.text})
        if articles:
            block.section = f"article:{len(articles)}"
            dump = ENTITY_DUMP.match(block.text)
            if dump:
                articles[-1].update(
                    {
                        "entities": [e.strip() for e in dump.group("entities").split(",") if e.strip()],
                        "tone": dump.group("tone"),
                        "sentiment": dump.group("sentiment"),
                        "intent": dump.group("intent"),
                    }
                )
    metadata["articles"] = articles
    return blocks, metadata


def read_json(path: Path, text: str) -> tuple[str, list[Block], dict[str, Any]]:
    """The documented JSON form (see schemas/candidate.schema.json). Offsets index the text built
    from `summary` followed by one line per key point, which is returned as the document text."""
    data = load_json(text, path)
    validate_instance(data, "candidate", path)
    parts: list[tuple[str, str, str]] = []
    if data.get("summary"):
        parts.append(("summary", "summary", data["summary"]))
    for point in data.get("key_points", []):
        parts.append(("bullet", "key_points", point))
    built = ""
    blocks: list[Block] = []
    for kind, section, chunk in parts:
        base = len(built)
        built += chunk.strip() + "\n"
        if kind == "bullet":
            blocks.append(Block("bullet", chunk.strip(), base, base + len(chunk.strip()), section))
        else:
            for block in lines_to_blocks(chunk.strip(), base, headings=False):
                block.section = section if block.section == "body" else block.section
                blocks.append(block)
    metadata = {k: v for k, v in data.items() if k not in ("summary", "key_points")}
    return built, blocks, metadata


def _metadata_from_blocks(blocks: list[Block]) -> dict[str, Any]:
    """Collect `Field: value` lines (Date, Sources, Published At, ...) as metadata."""
    metadata: dict[str, Any] = {}
    for block in blocks:
        if block.kind != "metadata" or ":" not in block.text:
            if block.kind == "metadata" and block.note == "date line":
                metadata.setdefault("date", block.text)
            continue
        name, _, value = block.text.partition(":")
        key = name.strip().lower().replace(" ", "_")
        if key == "sources" and value.strip():
            metadata[key] = _parse_sources(value)
        else:
            metadata.setdefault(key, value.strip())
    return metadata


def _parse_sources(value: str) -> dict[str, int] | str:
    """`bbc.com: 1 | news.sky.com: 1` -> {"bbc.com": 1, "news.sky.com": 1}."""
    found = re.findall(r"([\w.-]+)\s*:\s*(\d+)", value)
    return {name: int(count) for name, count in found} if found else value.strip()


TEXT_READERS = {"plain": read_plain, "markdown": read_markdown, "takeaways": read_takeaways, "digest": read_digest}
