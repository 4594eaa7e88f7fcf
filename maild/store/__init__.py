"""The database as the queue: tables, transactions, the mail and outbox queues, ticket rows,
read-only views, and attachment files on disk. Imports only the kernel; hands back plain values.
"""
