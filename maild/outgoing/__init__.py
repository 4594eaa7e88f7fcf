"""Mail maild writes: Jinja2 templates (sandboxed, StrictUndefined) and MIME composition.

Imports the kernel and the value types of parsing and rules.
"""
