"""Execution plans for known GraphQL documents: compiled once, executed without graphql-core's
per-field machinery, with exactly graphql-core's results (tests/plans proves it differentially)."""

from foundry_api.plans.compile import compile_document
from foundry_api.plans.plan import Plan, PlanUnsupported

__all__ = ["Plan", "PlanUnsupported", "compile_document"]
