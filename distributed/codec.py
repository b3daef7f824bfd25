"""How candidate reports and parsed reports travel through Redis streams (pure).

An item entry has a JSON field ``m`` (everything but the bytes) and one field ``b<i>`` with
the raw bytes of document ``i``: no base64, no pickle for what crawlers send.  Reports coming
back from parse workers are pickled :class:`~nianbao.model.Report` objects: every process runs
the same code, and Redis is a private service (never exposed; RQ pickles its jobs as well).
"""

from __future__ import annotations

import json
import pickle
from dataclasses import asdict, fields
from typing import Any

from nianbao.intake.items import DocumentItem, ReportItem
from nianbao.intake.sites import Site

DOC_FIELDS = [f.name for f in fields(DocumentItem) if f.name != "body"]


def site_to_dict(site: Site | None) -> dict[str, Any] | None:
    return asdict(site) if site is not None else None


def site_from_dict(d: dict[str, Any] | None) -> Site | None:
    return Site(**d) if d else None


def encode_item(item: ReportItem, *, portal_url: str, hint: Site | None) -> dict[str, bytes]:
    meta = {
        "kind": "item",
        "portal_url": portal_url,
        "hint": site_to_dict(hint),
        "portal": item.portal,
        "link_text": item.link_text,
        "list_date": item.list_date,
        "referrer": item.referrer,
        "title": item.title,
        "problems": item.problems,
        "documents": [{k: getattr(d, k) for k in DOC_FIELDS} for d in item.documents],
    }
    out = {"m": json.dumps(meta, ensure_ascii=False).encode()}
    for i, d in enumerate(item.documents):
        out[f"b{i}"] = bytes(d.body)
    return out


def decode_item(fields_: dict[bytes, bytes]) -> tuple[ReportItem, dict[str, Any]]:
    """(the item with its bytes back, the rest: portal_url, hint)."""
    meta = json.loads(fields_[b"m"])
    docs = [DocumentItem(body=fields_[f"b{i}".encode()], **d) for i, d in enumerate(meta["documents"])]
    item = ReportItem(portal=meta["portal"], link_text=meta["link_text"], list_date=meta["list_date"],
                      referrer=meta["referrer"], title=meta["title"], documents=docs,
                      problems=list(meta.get("problems") or []))  # fmt: skip
    return item, {"portal_url": meta["portal_url"], "hint": site_from_dict(meta.get("hint"))}


def encode_control(kind: str, **data: Any) -> dict[str, bytes]:
    return {"m": json.dumps({"kind": kind, **data}, ensure_ascii=False).encode()}


def kind_of(fields_: dict[bytes, bytes]) -> str:
    return json.loads(fields_[b"m"]).get("kind", "item")


def control(fields_: dict[bytes, bytes]) -> dict[str, Any]:
    return json.loads(fields_[b"m"])


def encode_result(result: dict[str, Any]) -> dict[str, bytes]:
    return {"r": pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)}


def decode_result(fields_: dict[bytes, bytes]) -> dict[str, Any]:
    return pickle.loads(fields_[b"r"])  # noqa: S301 - our own workers, private Redis
