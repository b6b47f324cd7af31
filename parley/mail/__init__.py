"""Mail: sending Parley's messages through the operator's SMTP server (`PARLEY_SMTP_URL`, `PARLEY_MAIL_FROM`)."""
