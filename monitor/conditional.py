"""Incremental re-crawls: conditional requests for report documents (ETag / Last-Modified).

:class:`ConditionalRequestMiddleware` (a downloader middleware) adds ``If-None-Match`` /
``If-Modified-Since`` from the store's current version of a report page or attachment.  On
``304 Not Modified`` it answers the spider with the stored bytes (flag ``not_modified``, header
``X-Nianbao-Not-Modified``) so the spider can still follow the page's attachments, while nothing
is downloaded again.  List and navigation pages are always re-read (new reports appear there).

:class:`UnchangedReportPipeline` (an item pipeline placed before ``nianbao.crawler.pipelines.StorePipeline``)
drops a candidate report whose documents all answered 304 and that the store has already read:
it records the fetch ("seen in this run", status 304; the same bytes stay one version) and skips
re-parsing.  A report with one changed document (a replaced attachment) goes on to the store
pipeline, where its content hash makes it a new version.

Settings (defaults): ``NIANBAO_CONDITIONAL_ENABLED`` (True), ``NIANBAO_CONDITIONAL_KINDS``
("report,attachment": the ``nb_kind`` of requests made conditional).
"""

from __future__ import annotations

import logging

from scrapy.exceptions import DropItem, NotConfigured
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes

from nianbao.storage.store import Store

log = logging.getLogger(__name__)

MARKER = "X-Nianbao-Not-Modified"


def _get(headers: dict, name: str) -> str | None:
    for k, v in (headers or {}).items():
        if str(k).lower() == name.lower():
            return v[0] if isinstance(v, list) and v else v
    return None


def validators(headers: dict) -> dict[str, str]:
    """The conditional request headers for a stored response's headers (pure)."""
    out = {}
    etag = _get(headers, "ETag")
    if etag:
        out["If-None-Match"] = etag
    modified = _get(headers, "Last-Modified")
    if modified:
        out["If-Modified-Since"] = modified
    return out


def not_modified(headers: dict) -> bool:
    """Whether a DocumentItem's headers mark it as answered from the store after a 304."""
    return bool(_get(headers, MARKER))


class _StoreUser:
    def __init__(self, crawler, db: str) -> None:
        self.crawler = crawler
        self.db = db
        self._store = None

    @property
    def store(self):
        if self._store is None:
            self._store = Store(self.db)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


class ConditionalRequestMiddleware(_StoreUser):
    def __init__(self, crawler, db: str, kinds: set[str]) -> None:
        super().__init__(crawler, db)
        self.kinds = kinds

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        if not s.getbool("NIANBAO_CONDITIONAL_ENABLED", True) or not s.get("NIANBAO_DB"):
            raise NotConfigured("conditional requests need NIANBAO_DB")
        kinds = {k.strip() for k in str(s.get("NIANBAO_CONDITIONAL_KINDS", "report,attachment")).split(",")}
        mw = cls(crawler, s.get("NIANBAO_DB"), kinds)
        from scrapy import signals

        crawler.signals.connect(mw.close, signal=signals.spider_closed)
        return mw

    def process_request(self, request, spider=None):
        meta = request.meta
        if meta.get("nb_kind") not in self.kinds or meta.get("nb_browser") or meta.get("playwright") \
                or meta.get("nb_kind_unconditional"):
            return None
        if b"If-None-Match" in request.headers or b"If-Modified-Since" in request.headers:
            return None
        try:
            last = self.store.last_fetch(request.url)
        except Exception as exc:  # noqa: BLE001 - a store hiccup must not stop the crawl
            log.warning("条件请求：无法读取 %s 的上次抓取记录：%s", request.url, exc)
            return None
        if not last or last.get("removed_at"):
            return None
        cond = validators(last["headers"])
        if not cond:
            return None
        for k, v in cond.items():
            request.headers[k] = v
        meta["nb_cond"] = {"sha256": last["sha256"], "headers": last["headers"], "final_url": last["final_url"]}
        self.crawler.stats.inc_value("nianbao/conditional_requests")
        return None

    def process_response(self, request, response, spider=None):
        cond = request.meta.get("nb_cond")
        if response.status != 304 or not cond:
            return response
        try:
            body = self.store.read_blob(cond["sha256"])
        except Exception as exc:  # noqa: BLE001 - stored bytes lost: fetch again, unconditionally
            log.warning("条件请求：%s 的存档内容无法读取（%s），重新下载", request.url, exc)
            retry = request.replace(dont_filter=True)
            for k in (b"If-None-Match", b"If-Modified-Since"):
                retry.headers.pop(k, None)
            retry.meta.pop("nb_cond", None)
            retry.meta["nb_kind_unconditional"] = True
            return retry
        headers = Headers({k: v for k, v in cond["headers"].items() if str(k).lower() != "content-length"})
        for k, v in response.headers.items():  # fresher validators from the 304
            headers[k] = v
        headers[MARKER] = "1"
        cls = responsetypes.from_args(headers=headers, url=cond.get("final_url") or response.url, body=body)
        portal = request.meta.get("nb_portal")
        self.crawler.stats.inc_value("nianbao/not_modified")
        self.crawler.stats.inc_value("nianbao/not_modified_bytes", len(body))
        if portal is not None:
            self.crawler.stats.inc_value(f"nianbao/not_modified/{portal}")
        return cls(url=response.url, status=200, headers=headers, body=body, request=request,
                   flags=[*response.flags, "not_modified"], certificate=response.certificate,
                   ip_address=response.ip_address, protocol=response.protocol)


class UnchangedReportPipeline(_StoreUser):
    """Drop candidate reports whose every document was not modified and is already read."""

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        if not s.getbool("NIANBAO_CONDITIONAL_ENABLED", True) or not s.get("NIANBAO_DB"):
            raise NotConfigured("conditional requests need NIANBAO_DB")
        return cls(crawler, s.get("NIANBAO_DB"))

    def close_spider(self, spider=None) -> None:
        self.close()

    def process_item(self, item, spider=None):
        docs = getattr(item, "documents", None)
        if not docs or not all(not_modified(d.headers) for d in docs):
            return item
        known = [self.store.last_fetch(d.url) for d in docs]
        if not any(k and k["has_report"] for k in known):
            return item  # never read (e.g. the parser failed last time): let the store pipeline try again
        run_id = self.crawler.stats.get_value("nianbao/run_id")
        spider = self.crawler.spider
        site = spider.portals[item.portal].url if spider is not None and hasattr(spider, "portals") else None
        for d in docs:
            self.store.add_document(
                d.url, d.body, final_url=d.final_url, status=304, content_type=d.content_type,
                fetched_at=d.fetched_at, referrer=d.referrer, link_text=d.link_text or item.link_text,
                list_date=item.list_date, site=site, run_id=run_id,
            )  # fmt: skip
        self.crawler.stats.inc_value("nianbao/unchanged_reports")
        self.crawler.stats.inc_value(f"nianbao/unchanged_reports/{item.portal}")
        if spider is not None and getattr(spider, "journal", None) is not None:
            spider.journal.mark(docs[0].url)
        raise DropItem(f"unchanged since the last crawl: {docs[0].url}", log_level="DEBUG")
