"""The reference pages generated from the code (cog): the settings table from the settings object, the command
reference from the Typer app, the HTTP endpoints from the OpenAPI schema. `make docs` writes them into docs/,
`make lint` and tests/test_reference.py fail when a page differs from what the code says."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.config import PROJECT_ROOT, Settings

GENERATED = ("docs/configuration.md", "docs/cli.md", "docs/api.md")


def cell(text: str) -> str:
    """Text fit for one cell of a Markdown table."""
    return " ".join(str(text).split()).replace("|", "\\|")


def shown_default(value) -> str:
    if value is None:
        return "unset"
    if isinstance(value, Path) and value.is_relative_to(PROJECT_ROOT):
        return f"`{value.relative_to(PROJECT_ROOT)}`"
    return f"`{value}`"


def settings_table() -> str:
    """Every setting: its variable, default and help, in the settings object's order."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        rows.append(f"| `ESS_{name.upper()}` | {shown_default(field.default)} | {cell(field.description)} |")
    return "\n".join(rows)


def command_reference() -> str:
    """Every `ess` command and sub-command, as `ess --help` lists them, with its help and parameters."""
    from search_api.cli import app

    root = typer.main.get_command(app)
    with typer.Context(root, info_name="ess") as context:
        return "\n\n".join(command_section(root, context, ["ess"]))


def command_section(group, context: typer.Context, path: list[str]) -> list[str]:
    sections = []
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        with typer.Context(command, parent=context, info_name=name) as inner:
            if hasattr(command, "list_commands"):  # a group of sub-commands
                sections += command_section(command, inner, [*path, name])
            else:
                sections.append(describe_command(command, inner, [*path, name]))
    return sections


def describe_command(command, context: typer.Context, path: list[str]) -> str:
    arguments = [p for p in command.get_params(context) if p.param_type_name == "argument"]
    usage = " ".join(["[OPTIONS]", *(argument_name(p) + ("..." if p.nargs == -1 else "") for p in arguments)])
    lines = [f"### `{' '.join(path)}`", "", " ".join((command.help or "").split()), "", f"`{' '.join(path)} {usage}`"]
    params = [p for p in command.get_params(context) if p.name != "help"]
    if params:
        lines += ["", "| parameter | default | meaning |", "|---|---|---|"]
        lines += [describe_param(p) for p in params]
    return "\n".join(lines)


def describe_param(param) -> str:
    if param.param_type_name == "argument":
        name = argument_name(param)
        default = "required" if param.required else shown_default(param.default)
    else:
        name = " / ".join([*param.opts, *param.secondary_opts])
        default = "" if param.is_flag and not param.default else shown_default(param.default)
    return f"| `{name}` | {default} | {cell(getattr(param, 'help', None) or '')} |"


def argument_name(param) -> str:
    return param.metavar or param.name.upper()


def endpoint_reference() -> str:
    """Every endpoint of the OpenAPI schema: method, path, summary and parameters."""
    from search_api.app import create_app

    schema = create_app(Settings()).openapi()
    components = schema.get("components", {}).get("schemas", {})
    sections = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            sections.append(describe_endpoint(method.upper(), path, operation, components))
    return "\n\n".join(sections)


def describe_endpoint(method: str, path: str, operation: dict, components: dict) -> str:
    lines = [f"### `{method} {path}`", "", cell(operation.get("summary", ""))]
    if description := operation.get("description"):
        lines += ["", " ".join(description.split())]
    parameters = operation.get("parameters", [])
    if parameters:
        lines += ["", "| parameter | in | type | meaning |", "|---|---|---|---|"]
        lines += [describe_parameter(p, components) for p in parameters]
    return "\n".join(lines)


def value_type(schema: dict, components: dict) -> str:
    """What a parameter takes: a type, a choice of values, a repeatable type; null left out (optional)."""
    if "$ref" in schema:
        schema = components[schema["$ref"].rpartition("/")[2]] | {"default": schema.get("default")}
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    if schema.get("type") == "array":
        return f"{value_type(schema.get('items', {}), components)}, repeatable"
    if "anyOf" in schema:
        return " or ".join(value_type(s, components) for s in schema["anyOf"] if s.get("type") != "null")
    return schema.get("type", "any")


def describe_parameter(parameter: dict, components: dict) -> str:
    schema = parameter.get("schema", {})
    kind = value_type(schema, components)
    default = f" (default `{schema['default']}`)" if schema.get("default") not in (None, [], "") else ""
    required = " (required)" if parameter.get("required") else ""
    meaning = cell(parameter.get("description", "") or schema.get("description", ""))
    return f"| `{parameter['name']}` | {parameter['in']} | {cell(kind)}{default}{required} | {meaning} |"
