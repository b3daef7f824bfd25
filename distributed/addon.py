"""The distributed mode as a Scrapy add-on: a crawl joins a shared Redis frontier (docs/scale.md)."""

from __future__ import annotations

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings

from nianbao.distributed.settings import redis_overrides


class DistributedAddon:
    """Turn the crawl into one process of the job ``NIANBAO_REDIS_JOB`` at ``NIANBAO_REDIS_URL``."""

    def update_settings(self, settings: BaseSettings) -> None:
        url = settings.get("NIANBAO_REDIS_URL")
        if not url:
            raise ValueError("DistributedAddon needs NIANBAO_REDIS_URL")
        base = {k: settings[k] for k in ("DOWNLOADER_MIDDLEWARES", "EXTENSIONS", "NIANBAO_HOST_RATE", "DOWNLOAD_DELAY",
                                         "NIANBAO_WORKER_ID")}  # fmt: skip
        for name, value in redis_overrides(url, settings.get("NIANBAO_REDIS_JOB"), base).items():
            if name in ("DOWNLOADER_MIDDLEWARES", "EXTENSIONS"):
                for component, order in value.items():
                    settings[name][component] = order
                continue
            # the mode must win over the project's own value of these (the frontier, the delay)
            priority = max(settings.getpriority(name) or 0, SETTINGS_PRIORITIES["addon"])
            settings.set(name, value, priority)
