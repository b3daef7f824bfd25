"""After-run notifications: a digest of new findings per region, to a webhook and/or by e-mail.

:func:`new_findings` reads the store; :func:`build_digest` is pure; :func:`send_webhook` and
:func:`send_email` do the I/O (standard library only).
"""

from __future__ import annotations

import json
import smtplib
import urllib.parse
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from nianbao import labels
from nianbao.rules.catalog import title as rule_title
from nianbao.rules.deadlines import publisher_kind

SEVERITY_ZH = labels.SEVERITIES


def known_fingerprints(store) -> set[str]:
    """Every fingerprint flagged so far (take it before a run; what is not in it afterwards is new)."""
    return {r["fingerprint"] for r in store.query("SELECT DISTINCT fingerprint FROM findings")}


def new_findings(store, known: set[str]) -> list[dict[str, Any]]:
    """Active findings whose fingerprint is not in ``known``, with what their region needs."""
    rows = store.query(
        """SELECT f.fingerprint, f.rule, f.severity, f.location, f.message, f.agency, f.year, f.report_id,
                  a.kind, a.level, p.name AS parent, r.url
           FROM findings f LEFT JOIN agencies a ON a.id = f.agency_id LEFT JOIN agencies p ON p.id = a.parent_id
           LEFT JOIN reports r ON r.id = f.report_id
           WHERE f.active = 1 ORDER BY f.agency, f.year, f.rule, f.location"""
    )
    return [r for r in rows if r["fingerprint"] not in known]


def region_of(row: dict[str, Any]) -> str:
    """A finding's region: the people's government it belongs to (itself, or its parent)."""
    kind = row.get("kind")
    if kind is None and row.get("agency"):
        kind = publisher_kind(row["agency"], row.get("level"))
    if kind == "government" or not row.get("parent"):
        return row.get("agency") or "未知地区"
    return row["parent"]


@dataclass
class Digest:
    subject: str
    text: str
    payload: dict[str, Any]

    @property
    def count(self) -> int:
        return self.payload["count"]


def build_digest(plan: str, findings: list[dict[str, Any]], summary: dict[str, Any] | None = None) -> Digest:
    """Group new findings by region, then agency; a Chinese text and a JSON payload."""
    regions: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in findings:
        regions[region_of(f)].append(f)
    lines = [f"监测计划“{plan}”本次运行发现新问题 {len(findings)} 项（涉及 {len(regions)} 个地区）。", ""]
    if summary:
        lines.append("运行概况：" + "，".join(f"{k} {v}" for k, v in summary.items()))
        lines.append("")
    for region in sorted(regions):
        items = regions[region]
        lines.append(f"【{region}】{len(items)} 项")
        for f in items:
            year = f"{f['year']}年度" if f.get("year") else ""
            lines.append(f"  - [{SEVERITY_ZH.get(f['severity'], f['severity'])}] {f.get('agency') or ''}{year}"
                         f" {rule_title(f['rule'])}：{f['message']}")
        lines.append("")
    payload = {
        "plan": plan,
        "count": len(findings),
        "summary": summary or {},
        "regions": [
            {"region": r, "count": len(v), "findings": [
                {k: f.get(k) for k in ("fingerprint", "rule", "severity", "location", "agency", "year", "message",
                                       "url")} | {"title": rule_title(f["rule"])} for f in v]}
            for r, v in sorted(regions.items())
        ],
    }
    subject = f"[nianbao] {plan}：新发现问题 {len(findings)} 项"
    return Digest(subject, "\n".join(lines).rstrip() + "\n", payload)


def send_webhook(url: str, digest: Digest, timeout: float = 10.0) -> int:
    """POST the digest as JSON (``text`` included for chat webhooks); returns the HTTP status."""
    body = json.dumps({"text": digest.text, **digest.payload}, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8"})
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    handlers = [urllib.request.ProxyHandler({})] if host in ("127.0.0.1", "localhost", "::1") else []
    with urllib.request.build_opener(*handlers).open(req, timeout=timeout) as resp:  # the user's own URL
        return resp.status


def send_email(cfg, digest: Digest, timeout: float = 10.0) -> None:
    """Send the digest as a plain-text e-mail (``cfg``: :class:`nianbao.monitor.plans.Notify`)."""
    msg = EmailMessage()
    msg["Subject"] = digest.subject
    msg["From"] = cfg.email_from
    msg["To"] = ", ".join(cfg.email_to)
    msg.set_content(digest.text)
    with smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=timeout) as smtp:
        if cfg.smtp_starttls:
            smtp.starttls()
        if cfg.smtp_user:
            smtp.login(cfg.smtp_user, cfg.smtp_password or "")
        smtp.send_message(msg)


def notify(cfg, digest: Digest) -> list[str]:
    """Send through every configured channel; returns problems (one failure does not stop the other)."""
    problems = []
    if digest.count == 0 and not cfg.send_empty:
        return problems
    if cfg.webhook:
        try:
            status = send_webhook(cfg.webhook, digest)
            if status >= 300:
                problems.append(f"webhook {cfg.webhook} 返回 {status}")
        except Exception as exc:  # noqa: BLE001
            problems.append(f"webhook {cfg.webhook} 发送失败：{exc}")
    if cfg.email_to:
        try:
            send_email(cfg, digest)
        except Exception as exc:  # noqa: BLE001
            problems.append(f"邮件发送失败（{cfg.smtp_host}:{cfg.smtp_port}）：{exc}")
    return problems
