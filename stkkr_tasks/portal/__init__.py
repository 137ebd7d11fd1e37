"""The tenant portal: customers log in, see their own stkkrs, runs and error records, set consent, download
or erase their data; the operator sees every tenant and the open requests. `stkkr portal` serves it.
"""

from __future__ import annotations

from stkkr_tasks.portal.app import DEFAULT_HOST, DEFAULT_PORT, create_app, serve

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "create_app", "serve"]
