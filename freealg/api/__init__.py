"""Text front end: a safe parser for polynomials and law specifications (no ``eval``)."""

from .parse import ParseError, parse_expr, parse_generator

__all__ = ["ParseError", "parse_expr", "parse_generator"]
