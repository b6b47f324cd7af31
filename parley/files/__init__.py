"""Attachments: safe URL fetching, content sniffing and content-addressed storage."""
