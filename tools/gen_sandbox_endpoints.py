#!/usr/bin/env python3
"""Derive the sandbox's compact endpoint tables from the vendored API descriptions.

Reads ``tests/reference/github-rest-api-subset.json`` (GitHub's OpenAPI 3 description,
with ``github-rest-api-apps-supplement.json``: two App endpoints the subset lacks) and
``tests/reference/slack-web-api-subset.json`` (Slack's OpenAPI 2 description) and writes
the two small files the sandbox ships and validates every request against:

* ``incident_sandbox/github_endpoints.json``: per path template and HTTP method,
  the path parameters (with their types), the allowed query parameters and the allowed
  request-body fields (types, enums, required names).
* ``incident_sandbox/slack_methods.json``: per Web API method, the documented HTTP
  verb, allowed arguments, required arguments and documented error codes.

Usage: ``python tools/gen_sandbox_endpoints.py`` (writes) or ``--check`` (exit 1 when the
committed files are stale). ``tests/sandbox/test_sandbox_spec.py`` runs the same comparison.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GITHUB_SRC = ROOT / "tests" / "reference" / "github-rest-api-subset.json"
# Operations the vendored subset lacks, written from GitHub's reference pages (the file
# says which): the GitHub App's installation token for the live connection (issue #21).
GITHUB_SUPPLEMENT = ROOT / "tests" / "reference" / "github-rest-api-apps-supplement.json"
SLACK_SRC = ROOT / "tests" / "reference" / "slack-web-api-subset.json"
GITHUB_OUT = ROOT / "incident_sandbox" / "github_endpoints.json"
SLACK_OUT = ROOT / "incident_sandbox" / "slack_methods.json"

HTTP_METHODS = ("get", "post", "put", "patch", "delete")

# The one request GitHub documents outside the REST description: the GraphQL endpoint.
# The sandbox answers a few query shapes there (users' "busy" status, who the token is,
# revertPullRequest).
GRAPHQL_EXTENSION = {
    "path": "/graphql",
    "methods": {
        "POST": {
            "path_params": {},
            "query": [],
            "body": {
                "fields": {
                    "query": {"types": ["string"]},
                    "variables": {"types": ["null", "object"]},
                    "operationName": {"types": ["null", "string"]},
                },
                "required": ["query"],
                "bare_array": False,
                "bare_string": False,
            },
        }
    },
    "note": "GitHub GraphQL API (https://docs.github.com/graphql); not part of the REST "
    "description. Only user(login:){status{...}}, viewer{login} and the "
    "revertPullRequest mutation are answered.",
}


def schema_types(schema: dict[str, Any]) -> list[str]:
    """JSON types a (dereferenced) OpenAPI schema admits, ``null`` included when nullable."""
    types: set[str] = set()
    declared = schema.get("type")
    if isinstance(declared, str):
        types.add(declared)
    elif isinstance(declared, list):
        types.update(declared)
    for key in ("oneOf", "anyOf"):
        for sub in schema.get(key, []):
            types.update(schema_types(sub))
    for sub in schema.get("allOf", []):
        types.update(schema_types(sub))
    if schema.get("nullable") or None in schema.get("enum", []):
        types.add("null")
    return sorted(types)


def field_spec(schema: dict[str, Any]) -> dict[str, Any]:
    """Compact description of one request-body field."""
    spec: dict[str, Any] = {"types": schema_types(schema)}
    enum = [v for v in schema.get("enum", []) if v is not None]
    if enum:
        spec["enum"] = enum
    if "array" in spec["types"]:
        items = schema.get("items") or {}
        for sub in schema.get("oneOf", []):
            items = items or sub.get("items") or {}
        item_types = schema_types(items)
        if item_types:
            spec["item_types"] = item_types
    return spec


def body_spec(operation: dict[str, Any]) -> dict[str, Any] | None:
    """Allowed request-body fields of an operation, or None when it takes no body."""
    request_body = operation.get("requestBody")
    if not request_body:
        return None
    schema = request_body["content"]["application/json"]["schema"]
    variants = schema.get("oneOf") or [schema]
    fields: dict[str, Any] = {}
    required: set[str] | None = None
    bare_array = bare_string = False
    for variant in variants:
        if variant.get("type") == "array":
            bare_array = True
            continue
        if variant.get("type") == "string":
            bare_string = True
            continue
        for name, prop in variant.get("properties", {}).items():
            merged = field_spec(prop)
            if name in fields:
                merged["types"] = sorted(set(fields[name]["types"]) | set(merged["types"]))
                if "item_types" in fields[name] or "item_types" in merged:
                    merged["item_types"] = sorted(
                        set(fields[name].get("item_types", [])) | set(merged.get("item_types", []))
                    )
            fields[name] = merged
            # The labels endpoints say in prose (not in the schema) that a bare array of
            # names, or (for PUT) a single name as a string, is accepted too. PyGithub relies
            # on the bare array form.
            description = prop.get("description", "")
            if "`array` of labels directly" in description:
                bare_array = True
            if "single label as a `string`" in description:
                bare_string = True
        names = set(variant.get("required", []))
        required = names if required is None else required & names
    return {
        "fields": dict(sorted(fields.items())),
        "required": sorted(required or []),
        "bare_array": bare_array,
        "bare_string": bare_string,
    }


def github_endpoints(spec: dict[str, Any]) -> dict[str, Any]:
    """Compact endpoint table derived from GitHub's OpenAPI description."""
    endpoints = []
    for path, item in sorted(spec["paths"].items()):
        methods: dict[str, Any] = {}
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            params = list(item.get("parameters", [])) + list(operation.get("parameters", []))
            path_params = {
                p["name"]: schema_types(p.get("schema", {})) for p in params if p["in"] == "path"
            }
            query = sorted({p["name"] for p in params if p["in"] == "query"})
            methods[method.upper()] = {
                "operation_id": operation.get("operationId"),
                "path_params": path_params,
                "query": query,
                "body": body_spec(operation),
            }
        endpoints.append({"path": path, "methods": methods})
    endpoints.append(GRAPHQL_EXTENSION)
    return {
        "source": "tests/reference/github-rest-api-subset.json "
        f"({spec['info']['title']} {spec['info']['version']}, MIT), and "
        "tests/reference/github-rest-api-apps-supplement.json (GitHub Apps' installation "
        "tokens, from GitHub's reference pages)",
        "generated_by": "tools/gen_sandbox_endpoints.py",
        "endpoints": endpoints,
    }


def slack_methods(spec: dict[str, Any]) -> dict[str, Any]:
    """Compact method table derived from Slack's OpenAPI 2 description."""
    methods: dict[str, Any] = {}
    for path, item in sorted(spec["paths"].items()):
        for verb in HTTP_METHODS:
            operation = item.get(verb)
            if operation is None:
                continue
            params = operation.get("parameters", [])
            error_schema = operation.get("responses", {}).get("default", {}).get("schema", {})
            errors = error_schema.get("properties", {}).get("error", {}).get("enum", [])
            methods[path.lstrip("/")] = {
                "verb": verb.upper(),
                "args": sorted(p["name"] for p in params),
                "required": sorted(
                    p["name"] for p in params if p.get("required") and p["name"] != "token"
                ),
                "errors": sorted(errors),
            }
    return {
        "source": "tests/reference/slack-web-api-subset.json "
        f"({spec['info']['title']} {spec['info']['version']}, MIT)",
        "generated_by": "tools/gen_sandbox_endpoints.py",
        "methods": methods,
    }


def render(data: dict[str, Any]) -> str:
    """Stable JSON text for a generated table."""
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def generate(root: Path = ROOT) -> dict[Path, str]:
    """Map each output path to the text it should have."""
    github_src = root / GITHUB_SRC.relative_to(ROOT)
    slack_src = root / SLACK_SRC.relative_to(ROOT)
    github_spec = json.loads(github_src.read_text(encoding="utf-8"))
    supplement = root / GITHUB_SUPPLEMENT.relative_to(ROOT)
    github_spec["paths"] = (
        github_spec["paths"] | json.loads(supplement.read_text(encoding="utf-8"))["paths"]
    )
    return {
        root / GITHUB_OUT.relative_to(ROOT): render(github_endpoints(github_spec)),
        root / SLACK_OUT.relative_to(ROOT): render(
            slack_methods(json.loads(slack_src.read_text(encoding="utf-8")))
        ),
    }


def main(argv: list[str] | None = None) -> int:
    """Write the compact tables, or with ``--check`` report whether they are current."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the files are stale")
    args = parser.parse_args(argv)
    stale = []
    for path, text in generate().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(path)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    for path in stale:
        print(f"stale: {path.relative_to(ROOT)} (run tools/gen_sandbox_endpoints.py)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
