"""Read template.yaml the way CloudFormation would, for the local dev server and the tests.

The template stays the single source of truth: the dev server serves its HTTP routes and runs its
schedules, and moto's tables and parameters are created from its own resource definitions.

    template = load_template(Path("template.yaml"))
    ctx = Context.for_template(template, stack_name="chatrace-inbox-local")
    for table in table_definitions(template, ctx):
        dynamodb.create_table(**table.create_kwargs)
        if table.ttl_attribute:
            dynamodb.update_time_to_live(TableName=table.name, TimeToLiveSpecification=...)

Only what this project needs is evaluated: Ref, Fn::Sub, Fn::GetAtt, Fn::If (with Conditions),
Fn::Join, Fn::Select, Fn::Split, Fn::FindInMap and Fn::Base64. Anything else raises
:class:`UnresolvableError` when resolved (loading never fails on an unknown tag).
"""

from __future__ import annotations

import base64
import copy
import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, TypedDict, cast

import yaml

__all__ = [
    "NO_VALUE",
    "Context",
    "FunctionSpec",
    "HttpRoute",
    "Schedule",
    "SsmParameter",
    "TableDefinition",
    "UnresolvableError",
    "functions",
    "http_routes",
    "load_template",
    "outputs",
    "rate_seconds",
    "resolve",
    "schedules",
    "ssm_parameters",
    "table_definitions",
]

FUNCTION_TYPE: Final = "AWS::Serverless::Function"
LAYER_TYPE: Final = "AWS::Serverless::LayerVersion"
TABLE_TYPE: Final = "AWS::DynamoDB::Table"
PARAMETER_TYPE: Final = "AWS::SSM::Parameter"
EVENT_BUS_TYPE: Final = "AWS::Events::EventBus"

# Lambda's defaults when neither Globals nor the function set them.
DEFAULT_TIMEOUT: Final = 3
DEFAULT_MEMORY: Final = 128


class UnresolvableError(ValueError):
    """A value the local tooling cannot evaluate (unknown intrinsic, missing parameter, ...)."""


class _NoValue:
    """``AWS::NoValue``: the property or list item it stands for is removed."""

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE: Final = _NoValue()


# --------------------------------------------------------------------------------------- loading


# libyaml's parser when PyYAML has it (ten times faster: the template is read by every local stack,
# so by most tests); the same safe constructor and resolver either way.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _TemplateLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """SafeLoader plus CloudFormation's short tags; dates stay strings, as CloudFormation reads them."""


# "2010-09-09" (AWSTemplateFormatVersion) must not become a datetime.date.
_TemplateLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _node_value(loader: _TemplateLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    raise yaml.constructor.ConstructorError(None, None, f"unexpected node {node!r}", node.start_mark)


def _construct_short_tag(loader: _TemplateLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    """A short tag in its long form: ``!Ref x`` → ``{"Ref": x}``, ``!X v`` → ``{"Fn::X": v}``.

    ``!GetAtt A.B`` becomes ``{"Fn::GetAtt": ["A", "B"]}``. Any ``!Tag`` becomes ``Fn::Tag``, so a
    tag this module does not evaluate still loads (and fails only if it is resolved).
    """
    value = _node_value(loader, node)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        logical_id, _, attribute = value.partition(".")
        return {"Fn::GetAtt": [logical_id, attribute]}
    return {f"Fn::{suffix}": value}


_TemplateLoader.add_multi_constructor("!", _construct_short_tag)


def load_template(path: Path) -> dict[str, Any]:
    """The template as plain dicts and lists, short tags turned into their long form.

    Parsed once per file version (path, size and modification time), and each caller gets a copy
    of its own to change: every local stack reads it, so most tests would parse it again."""
    stat = path.stat()
    return copy.deepcopy(_parsed_template(path.resolve(), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=8)
def _parsed_template(path: Path, _mtime_ns: int, _size: int) -> dict[str, Any]:
    with path.open(encoding="utf-8") as stream:
        document = yaml.load(stream, Loader=_TemplateLoader)  # noqa: S506 - a SafeLoader subclass
    if not isinstance(document, dict):
        raise ValueError(f"{path} is not a CloudFormation template (top level is not a mapping)")
    return document


# --------------------------------------------------------------------------------------- resolving


@dataclass(frozen=True)
class Context:
    """Everything a template value may refer to. Build it with :meth:`for_template`.

    ``physical_names`` gives what ``Ref`` returns for a resource (its name); a resource that
    has none gets ``<stack_name>-<LogicalId>``. ``attributes`` gives ``Fn::GetAtt`` values,
    keyed ``"LogicalId.Attribute"``; there is no default for those.
    """

    stack_name: str = "chatrace-inbox-local"
    region: str = "us-east-1"
    account_id: str = "123456789012"
    partition: str = "aws"
    url_suffix: str = "amazonaws.com"
    parameters: Mapping[str, str] = field(default_factory=dict)
    conditions: Mapping[str, Any] = field(default_factory=dict)
    mappings: Mapping[str, Any] = field(default_factory=dict)
    resources: frozenset[str] = frozenset()
    physical_names: Mapping[str, str] = field(default_factory=dict)
    attributes: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def for_template(
        cls,
        template: Mapping[str, Any],
        *,
        stack_name: str = "chatrace-inbox-local",
        region: str = "us-east-1",
        account_id: str = "123456789012",
        overrides: Mapping[str, str] | None = None,
        physical_names: Mapping[str, str] | None = None,
        attributes: Mapping[str, str] | None = None,
    ) -> Context:
        """The template's parameter defaults (with ``overrides`` on top), conditions and mappings."""
        declared: Mapping[str, Any] = template.get("Parameters") or {}
        overrides = dict(overrides or {})
        unknown = sorted(set(overrides) - set(declared))
        if unknown:
            raise UnresolvableError(f"overrides for undeclared parameters: {', '.join(unknown)}")
        parameters = {
            name: _scalar_str(spec["Default"])
            for name, spec in declared.items()
            if isinstance(spec, Mapping) and "Default" in spec
        }
        parameters.update({name: str(value) for name, value in overrides.items()})
        return cls(
            stack_name=stack_name,
            region=region,
            account_id=account_id,
            parameters=parameters,
            conditions=template.get("Conditions") or {},
            mappings=template.get("Mappings") or {},
            resources=frozenset(template.get("Resources") or {}),
            physical_names=dict(physical_names or {}),
            attributes=dict(attributes or {}),
        )

    def physical_name(self, logical_id: str) -> str:
        """What ``Ref`` returns for a resource of the template."""
        if logical_id in self.physical_names:
            return self.physical_names[logical_id]
        if logical_id in self.resources:
            return f"{self.stack_name}-{logical_id}"
        raise UnresolvableError(f"Ref to unknown resource or parameter {logical_id!r}")

    def condition(self, name: str) -> bool:
        """The value of a named condition of the template's Conditions section."""
        if name not in self.conditions:
            raise UnresolvableError(f"unknown condition {name!r}")
        return _truth(resolve(self.conditions[name], self), f"condition {name!r}")


def resolve(value: Any, ctx: Context) -> Any:
    """``value`` with every intrinsic function evaluated; ``AWS::NoValue`` items are dropped."""
    if isinstance(value, list):
        items = (resolve(item, ctx) for item in value)
        return [item for item in items if item is not NO_VALUE]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (key, argument), *_ = value.items()
        if key == "Ref":
            return _ref(argument, ctx)
        if key == "Condition" and isinstance(argument, str):
            return ctx.condition(argument)
        if key.startswith("Fn::"):
            return _intrinsic(key, argument, ctx)
    resolved = {key: resolve(item, ctx) for key, item in value.items()}
    return {key: item for key, item in resolved.items() if item is not NO_VALUE}


def _ref(name: Any, ctx: Context) -> Any:
    if not isinstance(name, str):
        raise UnresolvableError(f"Ref needs a name, got {name!r}")
    pseudo: dict[str, Any] = {
        "AWS::StackName": ctx.stack_name,
        "AWS::Region": ctx.region,
        "AWS::AccountId": ctx.account_id,
        "AWS::Partition": ctx.partition,
        "AWS::URLSuffix": ctx.url_suffix,
        "AWS::StackId": (
            f"arn:{ctx.partition}:cloudformation:{ctx.region}:{ctx.account_id}:stack/{ctx.stack_name}/local"
        ),
        "AWS::NotificationARNs": [],
        "AWS::NoValue": NO_VALUE,
    }
    if name in pseudo:
        return pseudo[name]
    if name in ctx.parameters:
        return ctx.parameters[name]
    if name in ctx.resources or name in ctx.physical_names:
        return ctx.physical_name(name)
    raise UnresolvableError(f"Ref {name!r}: not a parameter with a value, a pseudo parameter or a resource")


def _get_att(argument: Any, ctx: Context) -> str:
    if isinstance(argument, str):
        argument = argument.split(".", 1)
    parts = resolve(argument, ctx)
    if not (isinstance(parts, list) and len(parts) == 2 and all(isinstance(p, str) for p in parts)):
        raise UnresolvableError(f"Fn::GetAtt needs [LogicalId, Attribute], got {argument!r}")
    key = f"{parts[0]}.{parts[1]}"
    if key not in ctx.attributes:
        raise UnresolvableError(f"Fn::GetAtt {key}: no value supplied in Context.attributes")
    return ctx.attributes[key]


_SUB_VARIABLE: Final = re.compile(r"\$\{(!?)([^}]*)\}")


def _sub(argument: Any, ctx: Context) -> str:
    if isinstance(argument, str):
        text, variables = argument, {}
    elif isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str):
        text, variables = argument[0], resolve(argument[1], ctx)
        if not isinstance(variables, dict):
            raise UnresolvableError(f"Fn::Sub variables must be a mapping, got {argument[1]!r}")
    else:
        raise UnresolvableError(f"Fn::Sub needs a string or [string, variables], got {argument!r}")

    def substitute(match: re.Match[str]) -> str:
        literal, name = match.group(1), match.group(2).strip()
        if literal:
            return "${" + match.group(2) + "}"
        if name in variables:
            return _scalar_str(variables[name])
        if "." in name and not name.startswith("AWS::"):
            return _get_att(name, ctx)
        return _scalar_str(_ref(name, ctx))

    return _SUB_VARIABLE.sub(substitute, text)


def _intrinsic(name: str, argument: Any, ctx: Context) -> Any:
    match name:
        case "Fn::Sub":
            return _sub(argument, ctx)
        case "Fn::GetAtt":
            return _get_att(argument, ctx)
        case "Fn::If":
            condition, when_true, when_false = _arguments(name, argument, 3)
            return resolve(when_true if ctx.condition(condition) else when_false, ctx)
        case "Fn::Equals":
            left, right = _arguments(name, resolve(argument, ctx), 2)
            return _scalar_str(left) == _scalar_str(right)
        case "Fn::Not":
            (inner,) = _arguments(name, resolve(argument, ctx), 1)
            return not _truth(inner, name)
        case "Fn::And":
            return all(_truth(item, name) for item in resolve(argument, ctx))
        case "Fn::Or":
            return any(_truth(item, name) for item in resolve(argument, ctx))
        case "Fn::Join":
            delimiter, items = _arguments(name, resolve(argument, ctx), 2)
            return str(delimiter).join(_scalar_str(item) for item in items)
        case "Fn::Select":
            index, items = _arguments(name, resolve(argument, ctx), 2)
            return items[int(index)]
        case "Fn::Split":
            delimiter, text = _arguments(name, resolve(argument, ctx), 2)
            return str(text).split(str(delimiter))
        case "Fn::FindInMap":
            map_name, top_key, second_key = _arguments(name, resolve(argument, ctx), 3)
            try:
                return ctx.mappings[map_name][top_key][second_key]
            except (KeyError, TypeError) as exc:
                raise UnresolvableError(f"Fn::FindInMap {map_name}/{top_key}/{second_key} not found") from exc
        case "Fn::Base64":
            return base64.b64encode(_scalar_str(resolve(argument, ctx)).encode()).decode()
        case _:
            raise UnresolvableError(f"{name} is not supported by the local template reader")


def _arguments(name: str, argument: Any, count: int) -> list[Any]:
    if not isinstance(argument, list) or len(argument) != count:
        raise UnresolvableError(f"{name} needs a list of {count} arguments, got {argument!r}")
    return argument


def _truth(value: Any, what: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise UnresolvableError(f"{what} is not a boolean: {value!r}")


def _scalar_str(value: Any) -> str:
    """A scalar as CloudFormation renders it in a string (booleans in lower case)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise UnresolvableError(f"expected a scalar, got {value!r}")


# --------------------------------------------------------------------------------------- resources


def _resources(template: Mapping[str, Any], ctx: Context, kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(logical id, raw resource) of every resource of ``kind`` whose Condition holds."""
    for logical_id, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") != kind:
            continue
        condition = resource.get("Condition")
        if condition is not None and not ctx.condition(condition):
            continue
        yield logical_id, resource


def _properties(resource: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    properties = resolve(resource.get("Properties") or {}, ctx)
    if not isinstance(properties, dict):
        raise UnresolvableError(f"Properties must be a mapping, got {properties!r}")
    return properties


@dataclass(frozen=True)
class TableDefinition:
    """A DynamoDB table: ``create_kwargs`` for boto3 ``create_table``, and its TTL attribute."""

    logical_id: str
    create_kwargs: dict[str, Any]
    ttl_attribute: str | None

    @property
    def name(self) -> str:
        return str(self.create_kwargs["TableName"])


_INDEX_KEYS: Final = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")


def table_definitions(template: Mapping[str, Any], ctx: Context) -> list[TableDefinition]:
    """Every AWS::DynamoDB::Table; TableName is the template's, else ``ctx.physical_name(logical_id)``."""
    tables = []
    for logical_id, resource in _resources(template, ctx, TABLE_TYPE):
        properties = _properties(resource, ctx)
        kwargs: dict[str, Any] = {
            "TableName": properties.get("TableName") or ctx.physical_name(logical_id),
            "AttributeDefinitions": properties["AttributeDefinitions"],
            "KeySchema": properties["KeySchema"],
            "BillingMode": properties.get("BillingMode", "PROVISIONED"),
        }
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if properties.get(key):
                kwargs[key] = [{k: index[k] for k in _INDEX_KEYS if k in index} for index in properties[key]]
        if "ProvisionedThroughput" in properties:
            kwargs["ProvisionedThroughput"] = properties["ProvisionedThroughput"]
        ttl = properties.get("TimeToLiveSpecification") or {}
        enabled = ttl.get("Enabled") in (True, "true", "True")
        tables.append(TableDefinition(logical_id, kwargs, ttl.get("AttributeName") if enabled else None))
    return tables


ParameterType = Literal["String", "StringList", "SecureString"]


class SsmParameter(TypedDict):
    """Keyword arguments for boto3 ``put_parameter``."""

    Name: str
    Type: ParameterType
    Value: str


def ssm_parameters(template: Mapping[str, Any], ctx: Context) -> list[SsmParameter]:
    """Name, Type and Value of every AWS::SSM::Parameter: ``ssm.put_parameter(**parameter)``."""
    parameters = []
    for logical_id, resource in _resources(template, ctx, PARAMETER_TYPE):
        properties = _properties(resource, ctx)
        kind = _scalar_str(properties["Type"])
        if kind not in ("String", "StringList", "SecureString"):
            raise UnresolvableError(f"{logical_id}: unknown parameter Type {kind!r}")
        parameters.append(
            SsmParameter(
                Name=_scalar_str(properties.get("Name") or ctx.physical_name(logical_id)),
                Type=cast(ParameterType, kind),
                Value=_scalar_str(properties["Value"]),
            )
        )
    return parameters


# --------------------------------------------------------------------------------------- functions


@dataclass(frozen=True)
class FunctionSpec:
    """A function as Lambda would run it: Globals merged with its own properties, values resolved.

    ``code_uri`` and ``layer_dirs`` are as written in the template: relative to its folder.
    """

    logical_id: str
    code_uri: Path
    handler: str
    environment: dict[str, str]
    timeout: int
    memory_size: int
    runtime: str | None
    layer_dirs: tuple[Path, ...]


@dataclass(frozen=True)
class HttpRoute:
    """One ``HttpApi`` event: ``method`` is upper case or ``ANY``; ``path`` keeps ``{param}`` placeholders."""

    method: str
    path: str
    event_name: str
    api_id: str | None
    function: FunctionSpec


@dataclass(frozen=True)
class Schedule:
    """One ``Schedule`` / ``ScheduleV2`` event: ``expression`` is ``rate(...)`` or ``cron(...)``."""

    event_name: str
    expression: str
    enabled: bool
    input: str | None
    function: FunctionSpec


def _merged_function(template: Mapping[str, Any], resource: Mapping[str, Any]) -> dict[str, Any]:
    """The function's raw properties with Globals.Function under them (SAM's merge rules, simplified)."""
    globals_: Mapping[str, Any] = (template.get("Globals") or {}).get("Function") or {}
    own: Mapping[str, Any] = resource.get("Properties") or {}
    merged = {**globals_, **own}
    variables = {
        **((globals_.get("Environment") or {}).get("Variables") or {}),
        **((own.get("Environment") or {}).get("Variables") or {}),
    }
    merged["Environment"] = {"Variables": variables}
    merged["Layers"] = [*(globals_.get("Layers") or []), *(own.get("Layers") or [])]
    return merged


def _layer_dirs(template: Mapping[str, Any], layers: list[Any]) -> tuple[Path, ...]:
    """ContentUri of each layer that is a ``Ref`` to an AWS::Serverless::LayerVersion of the template."""
    resources: Mapping[str, Any] = template.get("Resources") or {}
    dirs = []
    for layer in layers:
        target = resources.get(layer.get("Ref", "")) if isinstance(layer, dict) else None
        if target and target.get("Type") == LAYER_TYPE:
            dirs.append(Path(str(target["Properties"]["ContentUri"])))
    return tuple(dirs)


# What a local run needs; Policies, Events and the rest are not resolved (they may GetAtt anything).
_FUNCTION_KEYS: Final = ("CodeUri", "Handler", "Environment", "Timeout", "MemorySize", "Runtime")


def _function_spec(
    template: Mapping[str, Any], ctx: Context, logical_id: str, resource: Mapping[str, Any]
) -> FunctionSpec:
    raw = _merged_function(template, resource)
    properties = resolve({key: raw[key] for key in _FUNCTION_KEYS if key in raw}, ctx)
    code_uri = properties.get("CodeUri")
    if not isinstance(code_uri, str):
        raise UnresolvableError(f"{logical_id}: CodeUri must be a local folder, got {code_uri!r}")
    return FunctionSpec(
        logical_id=logical_id,
        code_uri=Path(code_uri),
        handler=str(properties["Handler"]),
        environment={
            name: _scalar_str(value) for name, value in properties["Environment"]["Variables"].items()
        },
        timeout=int(properties.get("Timeout", DEFAULT_TIMEOUT)),
        memory_size=int(properties.get("MemorySize", DEFAULT_MEMORY)),
        runtime=properties.get("Runtime"),
        layer_dirs=_layer_dirs(template, raw["Layers"]),
    )


def functions(template: Mapping[str, Any], ctx: Context) -> list[FunctionSpec]:
    """Every AWS::Serverless::Function of the template."""
    return [
        _function_spec(template, ctx, logical_id, resource)
        for logical_id, resource in _resources(template, ctx, FUNCTION_TYPE)
    ]


def _events(resource: Mapping[str, Any], kinds: tuple[str, ...]) -> Iterator[tuple[str, dict[str, Any]]]:
    for event_name, event in ((resource.get("Properties") or {}).get("Events") or {}).items():
        if event.get("Type") in kinds:
            yield event_name, event


def http_routes(template: Mapping[str, Any], ctx: Context) -> list[HttpRoute]:
    """Every ``HttpApi`` event of every function. No Method means ``ANY``; no Path means ``$default``."""
    routes = []
    for logical_id, resource in _resources(template, ctx, FUNCTION_TYPE):
        spec = _function_spec(template, ctx, logical_id, resource)
        for event_name, event in _events(resource, ("HttpApi",)):
            raw = event.get("Properties") or {}
            api = raw.get("ApiId")
            properties = resolve({k: raw[k] for k in ("Method", "Path") if k in raw}, ctx)
            routes.append(
                HttpRoute(
                    method=str(properties.get("Method", "ANY")).upper(),
                    path=str(properties.get("Path", "$default")),
                    event_name=event_name,
                    api_id=api.get("Ref") if isinstance(api, dict) else api,
                    function=spec,
                )
            )
    return routes + _plain_routes(template, ctx)


def _plain_routes(template: Mapping[str, Any], ctx: Context) -> list[HttpRoute]:
    """``AWS::ApiGatewayV2::Route`` resources (a conditional route) whose integration is a function."""
    found = []
    resources = template.get("Resources") or {}
    for logical_id, resource in _resources(template, ctx, "AWS::ApiGatewayV2::Route"):
        properties = resource.get("Properties") or {}
        target = properties.get("Target")
        text = target.get("Fn::Sub") if isinstance(target, dict) else target
        match = re.fullmatch(r"integrations/\$\{(\w+)\}", str(text))
        integration = resources.get(match.group(1)) if match else None
        uri = ((integration or {}).get("Properties") or {}).get("IntegrationUri")
        attribute = uri.get("Fn::GetAtt") if isinstance(uri, dict) else None
        if not (isinstance(attribute, list) and attribute[0] in resources):
            continue
        function = attribute[0]
        method, _, path = str(resolve(properties["RouteKey"], ctx)).partition(" ")
        api = properties.get("ApiId")
        found.append(
            HttpRoute(
                method=method.upper(),
                path=path,
                event_name=logical_id,
                api_id=api.get("Ref") if isinstance(api, dict) else api,
                function=_function_spec(template, ctx, function, resources[function]),
            )
        )
    return found


_SCHEDULE_KEYS: Final = ("Schedule", "ScheduleExpression", "Enabled", "State", "Input")


def schedules(template: Mapping[str, Any], ctx: Context) -> list[Schedule]:
    """Every ``Schedule`` (EventBridge rule) and ``ScheduleV2`` (EventBridge Scheduler) event."""
    found = []
    for logical_id, resource in _resources(template, ctx, FUNCTION_TYPE):
        spec = _function_spec(template, ctx, logical_id, resource)
        for event_name, event in _events(resource, ("Schedule", "ScheduleV2")):
            raw = event.get("Properties") or {}
            properties = resolve({k: raw[k] for k in _SCHEDULE_KEYS if k in raw}, ctx)
            if event["Type"] == "Schedule":
                expression = properties["Schedule"]
                enabled = _truth(properties.get("Enabled", True), f"{event_name}.Enabled")
            else:
                expression = properties["ScheduleExpression"]
                enabled = str(properties.get("State", "ENABLED")).upper() == "ENABLED"
            found.append(Schedule(event_name, str(expression), enabled, properties.get("Input"), spec))
    return found


def event_bus_names(template: Mapping[str, Any], ctx: Context) -> dict[str, str]:
    """Logical id → name of every AWS::Events::EventBus (its ``Name``, which ``Ref`` returns)."""
    return {
        logical_id: _scalar_str(_properties(resource, ctx).get("Name") or ctx.physical_name(logical_id))
        for logical_id, resource in _resources(template, ctx, EVENT_BUS_TYPE)
    }


def stream_consumers(template: Mapping[str, Any], ctx: Context) -> list[FunctionSpec]:
    """Every function with a ``DynamoDB`` (stream) event."""
    return [
        _function_spec(template, ctx, logical_id, resource)
        for logical_id, resource in _resources(template, ctx, FUNCTION_TYPE)
        if any(True for _ in _events(resource, ("DynamoDB",)))
    ]


_RATE: Final = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_UNIT_SECONDS: Final = {"minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(expression: str) -> int:
    """``rate(1 minute)`` → 60. Raises ValueError for ``cron(...)``, ``at(...)`` or a malformed rate."""
    match = _RATE.match(expression.strip())
    if not match:
        raise ValueError(f"only rate(<n> minute[s]|hour[s]|day[s]) schedules run locally, not {expression!r}")
    value, unit = int(match.group(1)), match.group(2)
    singular = not unit.endswith("s")
    if value < 1 or (value == 1) != singular:
        # EventBridge's own rule: rate(1 minute), rate(5 minutes); never rate(0 ...).
        raise ValueError(f"malformed rate expression {expression!r}")
    return value * _UNIT_SECONDS[unit.removesuffix("s")]


def outputs(template: Mapping[str, Any], ctx: Context) -> dict[str, str]:
    """Output name → resolved value, for every output whose Condition holds."""
    values = {}
    for name, output in (template.get("Outputs") or {}).items():
        condition = output.get("Condition")
        if condition is not None and not ctx.condition(condition):
            continue
        values[name] = _scalar_str(resolve(output["Value"], ctx))
    return values
