"""The check every statement passes before it runs: one read-only SELECT over known
tables and columns, parsed with sqlglot (no string matching).

Rejected: more than one statement, anything but a SELECT (DDL, DML, commands, SET, USE,
PRAGMA, COPY ...), tables outside `catalog.TABLES` (file readers such as
`read_parquet(...)` included), columns a referenced table does not have, and functions
outside a short allow-list.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from workloads.ask.catalog import COLUMNS
from workloads.errors import WindmillError

DIALECT = "spark"

# Function expressions a statement may use: aggregates, arithmetic helpers, casts, dates.
ALLOWED_FUNCTIONS: tuple[type[exp.Expression], ...] = (
    exp.Count,
    exp.Sum,
    exp.Min,
    exp.Max,
    exp.Avg,
    exp.Round,
    exp.Abs,
    exp.Cast,
    exp.TryCast,
    exp.Coalesce,
    exp.Case,
    exp.If,
    exp.TimestampTrunc,
    exp.DateTrunc,
    exp.TsOrDsToDate,
    exp.Date,
    exp.DateAdd,
    exp.DateSub,
    exp.TimestampAdd,
    exp.TimestampSub,
    exp.Lower,
    exp.Upper,
)
# Operators sqlglot models as functions (AND, OR, IN, BETWEEN, comparisons, NOT, -x).
OPERATORS: tuple[type[exp.Expression], ...] = (
    exp.Binary,
    exp.Unary,
    exp.Connector,
    exp.Predicate,
    exp.In,
    exp.Between,
)
# Node types no statement may contain, wherever they appear.
FORBIDDEN: tuple[type[exp.Expression], ...] = (
    exp.DDL,
    exp.DML,
    exp.Command,
    exp.Pragma,
    exp.Set,
    exp.Use,
    exp.Copy,
    exp.Transaction,
    exp.Commit,
    exp.Describe,
    exp.Show,
    exp.Cache,
    exp.Uncache,
    exp.Refresh,
    exp.Into,
    exp.Anonymous,
)


class UnsafeQuery(WindmillError):
    """A statement that is not one read-only SELECT over known tables and columns."""


def validate(sql: str) -> exp.Expression:
    """The parsed statement if `sql` is one read-only SELECT over known tables and
    columns; raises UnsafeQuery (one sentence) otherwise."""
    try:
        statements = [s for s in sqlglot.parse(sql, read=DIALECT) if s is not None]
    except ParseError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "parse error"
        raise UnsafeQuery(f"The statement does not parse as Spark SQL ({first}).") from None
    if len(statements) != 1:
        raise UnsafeQuery(f"Expected exactly one statement, got {len(statements)}.")
    tree = statements[0]
    if not isinstance(tree, exp.Query) or not isinstance(tree, exp.Select | exp.Union):
        raise UnsafeQuery(f"Only a SELECT may run, not {tree.key.upper()}.")
    for node in tree.walk():
        if isinstance(node, FORBIDDEN):
            raise UnsafeQuery(f"{node.key.upper()} is not allowed in a read-only query.")
        if isinstance(node, exp.Func) and not isinstance(node, (*ALLOWED_FUNCTIONS, *OPERATORS)):
            raise UnsafeQuery(f"The function {node.sql(dialect=DIALECT)[:40]} is not allowed.")
    _check_names(tree)
    return tree


def _check_names(tree: exp.Expression) -> None:
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    aliases: dict[str, str] = {}  # table alias (or name) -> table
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier) or table.args.get("db") is not None:
            what = table.sql(dialect=DIALECT)[:60]
            raise UnsafeQuery(f"Only the known tables may be read, not {what}.")
        name = table.name.lower()
        if name in ctes:
            continue
        if name not in COLUMNS:
            raise UnsafeQuery(f"Unknown table {table.name}; known: {', '.join(sorted(COLUMNS))}.")
        aliases[name] = name
        if table.alias:
            aliases[table.alias.lower()] = name
    known = set().union(*(COLUMNS[t] for t in set(aliases.values()))) if aliases else set()
    output_names = {a.alias.lower() for a in tree.find_all(exp.Alias)}
    for cte in tree.find_all(exp.CTE):
        output_names.update(c.lower() for c in cte.this.named_selects)
    for column in tree.find_all(exp.Column):
        if isinstance(column.this, exp.Star):
            continue
        name = column.name.lower()
        qualifier = column.table.lower()
        if qualifier and qualifier in aliases:
            if name not in COLUMNS[aliases[qualifier]]:
                raise UnsafeQuery(f"Unknown column {column.table}.{column.name}.")
        elif qualifier and qualifier not in ctes:
            raise UnsafeQuery(f"Unknown table or alias {column.table}.")
        elif not qualifier and name not in known and name not in output_names:
            raise UnsafeQuery(f"Unknown column {column.name}.")
