"""The side-effect adapters: IMAP (imapclient), SMTP (aiosmtplib), systemd notify.
Foreign exceptions are translated here into errors.py's tree. Imports only the kernel.
"""
