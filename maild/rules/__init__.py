"""Pure decisions over frozen inputs: screening, threading, ticket rules, language, delivery.

Imports the kernel and parsing's value types, nothing with a side effect.
"""
