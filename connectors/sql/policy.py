"""Masked columns, by lineage: which output of a checked query carries a masked column's value.

``[[databases.mask]]`` names columns whose stored values never leave the server. The
guard calls :func:`masks_for` on the tree it is about to run, qualified by sqlglot's
``qualify`` against the database's schema (every column bound to its source, ``*``
expanded). The lineage of each output column is then followed through aliases,
expressions, derived tables, CTEs (recursive ones to a fixed point), scalar
subqueries and set operations. Each masked column an expression depends on is
tagged with how:

- ``value``: the stored value itself (``salary``, ``salary AS x``, ``MIN(salary)``,
  either branch of a UNION). An output of this kind gets its column's policy applied
  to each cell, or, for ``deny``, the query is refused;
- ``derived``: computed from it (``salary + 0``, ``substr(email, 1, 3)``, ``CASE``,
  ``group_concat``). Refused as an output: a policy cannot be applied to it;
- ``summary``: aggregated (``COUNT``, ``SUM``, ``AVG``, ``STDDEV``), which only a
  column with ``in_conditions = "allow"`` may be.

Any other use (WHERE, JOIN ON, GROUP BY, HAVING, ORDER BY, DISTINCT, window clauses,
INTERSECT / EXCEPT, LIMIT, aggregates) is refused unless the mask allows conditions.
A query that touches a masked table but cannot be fully resolved (an unknown column,
an ambiguous name) is refused: the check fails closed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify

from connectors.config import ColumnMask
from connectors.errors import SqlRefused

__all__ = ["MASKED_RULE", "Masks", "mask_cell", "masks_for"]

MASKED_RULE = "masked_column"

Kind = Literal["summary", "value", "derived"]
_SEVERITY = {"summary": 0, "value": 1, "derived": 2}
Taint = dict[ColumnMask, Kind]
Schema = Mapping[str, Mapping[str, str]]

# Aggregates whose result is a statistic, not one of the values.
_SUMMARY_AGGS = (
    exp.Count, exp.CountIf, exp.Sum, exp.Avg, exp.Stddev, exp.StddevPop, exp.StddevSamp,
    exp.Variance, exp.ApproxDistinct,
)  # fmt: skip
# Aggregates and window functions that return one of the values they read.
_VALUE_AGGS = (
    exp.Min, exp.Max, exp.Median, exp.Mode, exp.AnyValue, exp.First, exp.Last, exp.FirstValue,
    exp.LastValue, exp.NthValue, exp.Lag, exp.Lead, exp.PercentileDisc, exp.Quantile,
)  # fmt: skip
# Select clauses that decide which rows come back, or in which order, rather than what they hold.
_CONDITION_ARGS = ("where", "group", "having", "qualify", "order", "limit", "offset", "windows", "distinct")


@dataclass(frozen=True)
class Masks:
    """One database's masked columns, keyed by folded ``(table, column)``, and the hash key."""

    columns: Mapping[tuple[str, str], ColumnMask]
    hash_key: bytes = field(repr=False)
    fold: Callable[[str], str] = str.lower

    @classmethod
    def build(cls, masks: Sequence[ColumnMask], hash_key: bytes, fold: Callable[[str], str]) -> Masks:
        return cls({(fold(m.table), fold(m.column)): m for m in masks}, hash_key, fold)

    @property
    def tables(self) -> frozenset[str]:
        return frozenset(table for table, _ in self.columns)


def masks_for(root: exp.Expr, masks: Masks, *, schema: Schema, dialect: str) -> tuple[ColumnMask | None, ...]:
    """The mask to apply to each output column of ``root`` (None: as stored); raises ``SqlRefused``."""
    try:
        qualified = qualify(
            root.copy(), schema=schema, dialect=dialect, validate_qualify_columns=True,
            quote_identifiers=False, identify=False,
        )
    except (SqlglotError, KeyError, ValueError) as exc:
        raise SqlRefused(
            MASKED_RULE,
            "the query reads a table with masked columns, and every column it uses must be "
            f"resolvable to one table ({str(exc).splitlines()[0][:160]}); name each column as "
            "table.column, and use only columns that describe_table lists",
        ) from exc
    outputs = _Lineage(masks).query(qualified, [], {})
    return tuple(_output_mask(name, taint) for name, taint in outputs)


def mask_cell(value: Any, mask: ColumnMask, hash_key: bytes) -> Any:
    """``value`` as ``mask``'s policy shows it. NULL stays NULL: it is no value to hide."""
    if value is None:
        return None
    text = str(value)
    if mask.policy == "hash":
        return "h:" + hmac.new(hash_key, text.encode(), hashlib.sha256).hexdigest()[:16]
    if mask.policy == "last4":
        return "*" * max(len(text) - 4, 4) + text[-4:] if len(text) > 4 else "****"
    if mask.policy == "email_domain":
        local, at, domain = text.rpartition("@")
        return f"***@{domain}" if at and local and domain else "[redacted]"
    return "[redacted]"  # "redact"; "deny" never reaches a cell


def _output_mask(name: str, taint: Taint) -> ColumnMask | None:
    shown = [m for m, kind in taint.items() if kind != "summary"]
    if not shown:
        return None
    where = f"output column '{name}'"
    for mask in shown:
        if taint[mask] == "derived":
            raise _refusal(mask, f"{where} is computed from it; select the column itself to see its masked "
                                 "form, or leave it out")
        if mask.policy == "deny":
            raise _refusal(mask, f"{where} returns it, and its values are never returned; leave it out")
    if len({m.policy for m in shown}) > 1:
        raise _refusal(shown[0], f"{where} mixes masked columns with different policies; select them apart")
    return shown[0]


def _refusal(mask: ColumnMask, why: str) -> SqlRefused:
    return SqlRefused(MASKED_RULE, f"{mask.table}.{mask.column} is a masked column ({mask.policy}): {why}")


def _merge(*taints: Taint) -> Taint:
    merged: Taint = {}
    for taint in taints:
        for mask, kind in taint.items():
            if mask not in merged or _SEVERITY[kind] > _SEVERITY[merged[mask]]:
                merged[mask] = kind
    return merged


def _as(taint: Taint, kind: Kind) -> Taint:
    return {mask: kind for mask in taint}


@dataclass
class _Source:
    """What one FROM item offers: each column's taint, and the taint of any other column name."""

    columns: dict[str, Taint]
    default: Taint = field(default_factory=dict)

    def get(self, name: str) -> Taint:
        return self.columns.get(name, self.default)


Outputs = list[tuple[str, Taint]]
Chain = list[dict[str, _Source]]  # the query's own sources first, then each enclosing query's


class _Lineage:
    def __init__(self, masks: Masks) -> None:
        self.masks = masks
        self.fold = masks.fold
        self.by_table: dict[str, dict[str, ColumnMask]] = {}
        for (table, column), mask in masks.columns.items():
            self.by_table.setdefault(table, {})[column] = mask

    # -- queries ---------------------------------------------------------------

    def query(self, node: exp.Expr, outer: Chain, ctes: dict[str, Outputs]) -> Outputs:
        if isinstance(node, exp.Subquery):
            return self._renamed(self.query(node.this, outer, ctes), node)
        ctes = self._with(node, outer, ctes)
        if isinstance(node, exp.SetOperation):
            left, right = self.query(node.this, outer, ctes), self.query(node.expression, outer, ctes)
            outputs = [(name, _merge(a, b)) for (name, a), (_, b) in zip(left, right, strict=False)]
            if isinstance(node, (exp.Intersect, exp.Except)):
                self.use(_merge(*(t for _, t in outputs)), "INTERSECT / EXCEPT compares its values")
            aliases = {self.fold(name): taint for name, taint in outputs}
            for key in ("order", "limit", "offset"):
                if node.args.get(key):
                    self.use(self.expr(node.args[key], outer, ctes, aliases), "it orders or limits the result")
            return outputs
        if isinstance(node, exp.Values):
            rows = [[self.expr(e, outer, ctes) for e in row.expressions] for row in node.expressions]
            width = max((len(r) for r in rows), default=0)
            return [(f"column{i + 1}", _merge(*(r[i] for r in rows if i < len(r)))) for i in range(width)]
        if not isinstance(node, exp.Select):
            return [("?", _as(self.expr(node, outer, ctes), "derived"))]
        return self._select(node, outer, ctes)

    def _with(self, node: exp.Expr, outer: Chain, ctes: dict[str, Outputs]) -> dict[str, Outputs]:
        with_ = node.args.get("with_")
        if not isinstance(with_, exp.With):
            return ctes
        ctes = dict(ctes)
        for cte in with_.expressions:
            name = self.fold(cte.alias)
            ctes[name] = []
            for _ in range(4):  # a recursive CTE reads itself: iterate until its taints stop growing
                outputs = self._renamed(self.query(cte.this, outer, ctes), cte)
                if outputs == ctes[name]:
                    break
                ctes[name] = outputs
            else:
                raise SqlRefused(MASKED_RULE, "a recursive CTE's lineage could not be settled; simplify it")
        return ctes

    def _renamed(self, outputs: Outputs, node: exp.Expr) -> Outputs:
        alias = node.args.get("alias")
        names = [c.name for c in alias.columns] if isinstance(alias, exp.TableAlias) else []
        return [(names[i] if i < len(names) else name, taint) for i, (name, taint) in enumerate(outputs)]

    def _select(self, node: exp.Select, outer: Chain, ctes: dict[str, Outputs]) -> Outputs:
        sources: dict[str, _Source] = {}
        chain = [sources, *outer]
        from_ = node.args.get("from_")
        items = ([from_.this] if from_ else []) + [j.this for j in node.args.get("joins") or []]
        for item in items:
            sources[self.fold(item.alias_or_name)] = self._source(item, chain, ctes)
        for join in node.args.get("joins") or []:
            for key in ("on", "using"):
                if join.args.get(key):
                    self.use(self.expr(join.args[key], chain, ctes), "a JOIN condition uses it")
        outputs = [(e.alias_or_name, self.expr(e, chain, ctes)) for e in node.expressions]
        aliases = {self.fold(name): taint for name, taint in outputs}
        for key in _CONDITION_ARGS:
            value = node.args.get(key)
            if key == "distinct" and isinstance(value, exp.Distinct) and not value.args.get("on"):
                self.use(_merge(*(t for _, t in outputs)), "DISTINCT compares its values")
            elif value:
                self.use(self.expr(value, chain, ctes, aliases), f"its {key.upper()} clause uses it")
        return outputs

    def _source(self, item: exp.Expr, chain: Chain, ctes: dict[str, Outputs]) -> _Source:
        if isinstance(item, exp.Table) and isinstance(item.this, exp.Identifier):
            name = self.fold(item.name)
            if not item.db and name in ctes:
                return _Source({self.fold(n): t for n, t in self._renamed(ctes[name], item)})
            masked = self.by_table.get(name, {})
            return _Source({column: {mask: "value"} for column, mask in masked.items()})
        if isinstance(item, exp.Subquery):
            # A derived table sees the enclosing queries (LATERAL also its siblings).
            return _Source({self.fold(n): t for n, t in self.query(item, chain, ctes)})
        # A table function, UNNEST, LATERAL …: every column it yields is computed from its arguments.
        return _Source({}, _as(self.expr(item, chain, ctes), "derived"))

    # -- expressions -------------------------------------------------------------

    def expr(self, node: exp.Expr, chain: Chain, ctes: dict[str, Outputs],
             aliases: Mapping[str, Taint] | None = None) -> Taint:
        if isinstance(node, (exp.Alias, exp.Paren)):
            return self.expr(node.this, chain, ctes, aliases)
        if isinstance(node, exp.Column):
            return self._column(node, chain, aliases)
        if isinstance(node, (exp.Select, exp.SetOperation, exp.Subquery)):
            return _merge(*(t for _, t in self.query(node, chain, ctes)))
        children = [self.expr(child, chain, ctes, aliases) for child in node.iter_expressions()]
        inner = _merge(*children)
        if isinstance(node, exp.Window):
            spec = [node.args.get(k) for k in ("partition_by", "order", "spec")]
            self.use(_merge(*(self.expr(p, chain, ctes, aliases) for part in spec if part
                              for p in (part if isinstance(part, list) else [part]))), "a window clause uses it")
            return self.expr(node.this, chain, ctes, aliases)
        if isinstance(node, exp.AggFunc):
            self.use(inner, "an aggregate reads it")
            if isinstance(node, _SUMMARY_AGGS):
                return _as(inner, "summary")
            if isinstance(node, _VALUE_AGGS):
                return inner
            return {m: ("summary" if k == "summary" else "derived") for m, k in inner.items()}
        return {m: ("summary" if k == "summary" else "derived") for m, k in inner.items()}

    def _column(self, node: exp.Column, chain: Chain, aliases: Mapping[str, Taint] | None) -> Taint:
        if isinstance(node.this, exp.Star):
            raise SqlRefused(MASKED_RULE, "the query reads a table with masked columns through a '*' "
                                          "that could not be expanded; name the columns")
        name, table = self.fold(node.name), self.fold(node.table)
        if not table:
            if aliases is not None and name in aliases:
                return aliases[name]
            raise SqlRefused(MASKED_RULE, f"column '{node.name}' could not be resolved to one table; "
                                          "name it as table.column")
        for sources in chain:
            if table in sources:
                return sources[table].get(name)
        raise SqlRefused(MASKED_RULE, f"'{node.table}.{node.name}' names no table of the query; check the "
                                      "table aliases")

    def use(self, taint: Taint, why: str) -> None:
        """Refuse a use of masked values other than returning them, unless their mask allows it."""
        for mask, kind in taint.items():
            if kind != "summary" and mask.in_conditions != "allow":
                raise _refusal(mask, f"{why}, and this column may not be used in conditions, grouping, "
                                     "ordering or aggregates; leave it out of the query")
