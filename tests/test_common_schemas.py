from mcp_servers.common.schemas import compact_schema


def test_compact_schema_drops_annotation_titles_but_keeps_a_property_named_title() -> None:
    schema = {
        "title": "Result",
        "type": "object",
        "properties": {"title": {"title": "Title", "type": "string"}, "n": {"title": "N", "type": "integer"}},
        "$defs": {"Row": {"title": "Row", "type": "object", "properties": {"x": {"title": "X", "type": "number"}}}},
    }
    assert compact_schema(schema) == {
        "type": "object",
        "properties": {"title": {"type": "string"}, "n": {"type": "integer"}},
        "$defs": {"Row": {"type": "object", "properties": {"x": {"type": "number"}}}},
    }


def test_compact_schema_folds_nullable_simple_types_and_leaves_refs_alone() -> None:
    schema = {
        "properties": {
            "a": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
            "b": {"anyOf": [{"$ref": "#/$defs/X"}, {"type": "null"}]},
        }
    }
    assert compact_schema(schema) == {
        "properties": {
            "a": {"type": ["string", "null"], "default": None},
            "b": {"anyOf": [{"$ref": "#/$defs/X"}, {"type": "null"}]},
        }
    }


def test_output_schemas_are_published_shallow_with_a_typed_top_level() -> None:
    from mcp_servers.common.schemas import compact_output_schema

    schema = {
        "$defs": {"Row": {"title": "Row", "type": "object", "properties": {"x": {"type": "number"}}}},
        "properties": {
            "rows": {"items": {"$ref": "#/$defs/Row"}, "type": "array", "default": [], "description": "the rows"},
            "count": {"type": "integer", "title": "Count"},
        },
        "required": ["count"],
        "type": "object",
    }
    assert compact_output_schema(schema) == {
        "$defs": {"Row": {"type": "object"}},
        "properties": {"rows": {"items": {"$ref": "#/$defs/Row"}, "type": "array"}, "count": {"type": "integer"}},
        "required": ["count"],
        "type": "object",
    }
