"""National registry of divisions (county level and above), their people's governments and portals.

    from nianbao.regions import registry
    reg = registry.registry()          # loaded once per process
    reg.get("620123")                  # Region(code, name, level, parent_code, province, prefecture, portal_url, ...)
    reg.find("兰州")                   # names with or without suffix, paths, codes
    registry.ancestors("620123")       # [甘肃省, 兰州市]   (top-down, without the region itself)
    registry.lineage("110101")         # (北京市, 北京市, 东城区): province, prefecture, county
    registry.crawl_hints("130200")     # how to reach the portal (mobile UA, http<->https, browser)
    registry.infer_kind("榆中县教育局")  # 'government' | 'department' | 'township'
    registry.attribute("城关镇人民政府", "620123")  # -> '620123'

See docs/regions.md.
"""
