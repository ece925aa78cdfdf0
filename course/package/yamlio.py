"""YAML that remembers where things are, so every problem can name its line."""
from __future__ import annotations

import yaml


class LineDict(dict):
    """A mapping read from YAML, with the line of each key (1-based)."""

    line: int = 0
    key_lines: dict

    def line_of(self, key) -> int:
        return self.key_lines.get(key, self.line)


class _LineLoader(yaml.SafeLoader):
    def compose_node(self, parent, index):
        # An alias (``*name``) repeats a node anchored elsewhere; nested ones multiply: about 700 bytes
        # of aliases of aliases grow into gigabytes once the text is read ("billion laughs"). A course
        # package has no need of them, so none is accepted, before anything is expanded.
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, f"aliases (*{event.anchor}) are not allowed in a course package: write the text "
                            "out in full", event.start_mark)
        return super().compose_node(parent, index)


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark) from None
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class YamlError(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def load_yaml(text: str, first_line: int = 1):
    """Parse ``text``; ``first_line`` offsets line numbers (for front matter inside a file)."""
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + first_line) if mark else first_line
        raise YamlError(line, f"{exc.problem or exc.context}".strip()) from None
    except yaml.YAMLError as exc:
        raise YamlError(first_line, str(exc)) from None


def shift_lines(data, offset: int):
    """Add ``offset`` to every recorded line (front matter parsed separately from its file)."""
    if isinstance(data, LineDict):
        data.line += offset
        data.key_lines = {k: v + offset for k, v in data.key_lines.items()}
        for value in data.values():
            shift_lines(value, offset)
    elif isinstance(data, list):
        for value in data:
            shift_lines(value, offset)
    return data
