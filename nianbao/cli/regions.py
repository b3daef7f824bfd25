"""``nianbao sites``: site lists from the national registry of government portals.

- ``nianbao sites --province 甘肃省 [--prefecture 兰州市] [--level county]`` prints a site list
  (the default action, same as ``nianbao sites list ...``);
- ``nianbao sites check FILE`` validates a user's site list;
- ``nianbao sites update NEWFILE [--write]`` compares a newer code table or portal list with the
  packaged registry.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import click

from nianbao.regions import dataio
from nianbao.regions import update as upd
from nianbao.regions.check import check_sites
from nianbao.regions.registry import Region, Registry, registry, reload
from nianbao.regions.sitelist import LEVEL_ALIASES, SITE_FIELDS, build

LEVEL_ZH = {"province": "省级", "prefecture": "地级", "county": "县级"}
ACCESS_NOTES = {"none": "需用浏览器访问（反爬网关）", "protocol-switch": "需切换 http/https",
                "ua-mobile": "仅响应手机 UA", "unknown": "门户未经核验"}


class DefaultGroup(click.Group):
    """A group that runs ``default_command`` when the first argument is not a subcommand, so that
    ``nianbao sites --province 甘肃省`` means ``nianbao sites list --province 甘肃省``."""

    default_command = "list"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


@click.group(cls=DefaultGroup)
def sites() -> None:
    """Site lists of people's governments' portals (default action: list).

    \b
    nianbao sites --province 甘肃省 [--prefecture 兰州市] [--level county] [-o sites.csv]
    nianbao sites check my_sites.csv
    nianbao sites update mca_areacodes_2025_current.csv [--write]
    """


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(2)


def _resolve(reg: Registry, ref: str, levels: tuple[str, ...], within: Region | None, what: str) -> Region:
    hits = [r for r in reg.find(ref, within) if r.level in levels]
    if ref.isdigit() and not hits:
        region = reg.get(ref)
        hits = [region] if region is not None and region.level in levels else []
    if not hits:
        _fail(f"未找到{what}：{ref}" + (f"（在 {within.name} 范围内）" if within else ""))
    if len(hits) > 1:
        listed = "、".join(f"{h.full_name}（{h.code}）" for h in hits)
        _fail(f"{what}名称 {ref} 有歧义：{listed}；请写全称或 6 位代码")
    return hits[0]


def _levels(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for value in values:
        for part in value.split(","):
            part = part.strip().lower()
            if part not in LEVEL_ALIASES:
                raise click.BadParameter(f"未知级别 {part}（可用：province、prefecture/city、county）")
            out.append(LEVEL_ALIASES[part])
    return tuple(out)


@sites.command("list")
@click.option("--province", "-p", help="省级单位：名称（甘肃省 / 甘肃）或代码（620000）。")
@click.option("--prefecture", "-c", help="地级单位：名称（兰州市 / 兰州）或代码；直辖市写市名。")
@click.option("--level", "-l", "levels", multiple=True, callback=_levels,
              help="只列出某级：province、prefecture（或 city）、county；可重复或用逗号分隔。默认全部。")
@click.option("--include-uncoded", is_flag=True, help="同时列出没有区划代码的门户（兵团、两江新区、大兴安岭各区）。")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="写入文件（默认输出到屏幕）。")
def list_sites(province: str | None, prefecture: str | None, levels: tuple[str, ...], include_uncoded: bool,
               output: Path | None) -> None:
    """Print a ready site list (agency,url,level,region,parent) for a province or prefecture."""
    reg = registry()
    scope: Region | None = None
    if province:
        scope = _resolve(reg, province, ("province",), None, "省份")
    if prefecture:
        pref_levels = ("prefecture", "province") if scope is None or scope.is_municipality else ("prefecture",)
        pref = _resolve(reg, prefecture, pref_levels, scope, "地级单位")
        if pref.level == "province" and not pref.is_municipality:
            _fail(f"{prefecture} 是省级单位，请用 --province")
        scope = pref
    result = build(reg, scope, levels or None, include_uncoded)
    stream = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        writer = csv.DictWriter(stream, fieldnames=SITE_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(result.rows)
    finally:
        if output:
            stream.close()
    name = scope.name if scope else "全国"
    parts = "，".join(f"{LEVEL_ZH[k]} {n}" for k, n in result.counts.items() if n)
    click.echo(f"{name}：共 {len(result.rows)} 个站点（{parts or '无'}）" + (f"，已写入 {output}" if output else ""),
               err=True)
    notes = [f"{n} 个{ACCESS_NOTES[k]}" for k, n in sorted(result.access.items()) if k in ACCESS_NOTES]
    if notes:
        click.echo("其中 " + "；".join(notes) + "（抓取时按 nianbao.regions.registry.crawl_hints 处理）", err=True)
    if result.without_portal:
        listed = "、".join(f"{r.name}（{r.code}）" for r in result.without_portal)
        click.echo(f"{len(result.without_portal)} 个单位没有已知门户，未列出：{listed}", err=True)


@sites.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check_cmd(file: Path) -> None:
    """Validate a site list: bad URLs, unknown codes, duplicates, code/name mismatches. Exit 1 on errors."""
    _, encoding = dataio.decode(file.read_bytes())
    header, rows = dataio.read_rows(file)
    issues = check_sites(header, rows, registry())
    if encoding != "utf-8":
        click.echo(f"{file} [警告] 文件不是 UTF-8 编码，已按 GB18030 读取；建议另存为 UTF-8", err=False)
    for issue in sorted(issues, key=lambda i: (i.line, i.severity)):
        click.echo(f"{file}: {issue}")
    errors = sum(1 for i in issues if i.severity == "error")
    warnings = len(issues) - errors
    click.echo(f"检查完成：共 {len(rows)} 行，错误 {errors} 处，警告 {warnings} 处。")
    if errors:
        sys.exit(1)


@sites.command("update")
@click.argument("newfile", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--write", is_flag=True, help="把新表写入注册表数据目录（默认只报告差异）。")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              help=f"注册表数据目录（默认 ${dataio.ENV_DIR} 或包内 regions/data）。")
def update_cmd(newfile: Path, write: bool, data_dir: Path | None) -> None:
    """Compare a newer code table or portal list with the registry; --write replaces it.

    NEWFILE is a division code table (code,name[,level,province,prefecture_or_直辖,in_use_since])
    or a portal list (adcode/code,...,portal_url,access_method_code,...).
    """
    header, rows = dataio.read_rows(newfile)
    kind = upd.detect_format(header)
    if kind is None:
        _fail(f"{newfile}：无法识别的表头 {','.join(header)}；应为区划代码表（code,name,…）或门户列表（adcode,…,portal_url,…）")
    target = dataio.data_dir(data_dir)
    current = dataio.load_tables(target)
    new_rows = upd.normalise(kind, [r for _, r in rows])
    if not new_rows:
        _fail(f"{newfile}：没有读到任何有效行")
    if kind == "areacodes":
        old = dataio.normalise_areacodes(current["areacodes"])
        changes = upd.diff_areacodes(old, new_rows)
        title = "区划代码表"
    else:
        codes = {r["code"] for r in dataio.normalise_areacodes(current["areacodes"])}
        changes = upd.diff_portals(current["portals"], new_rows, codes)
        title = "门户列表"
    click.echo(f"{title}：{newfile} 与 {target} 比较：{upd.summary(changes)}")
    for change in changes:
        click.echo(f"  [{upd.KIND_LABELS[change.kind]}] {change.message}")
    if not write:
        if changes:
            click.echo("（未写入；确认无误后加 --write 更新注册表）")
        return
    target.mkdir(parents=True, exist_ok=True)
    if kind == "areacodes":
        dataio.write_rows(target / "areacodes.csv", dataio.AREACODE_FIELDS, new_rows)
        kept, orphans = upd.carry_portals(current["portals"], changes, new_rows)
        dataio.write_rows(target / "portals.csv", dataio.PORTAL_FIELDS, kept + orphans)
        click.echo(f"已写入 {target / 'areacodes.csv'}（{len(new_rows)} 个代码）")
        if orphans:
            listed = "、".join(f"{r['code']} {r['name']}" for r in orphans)
            click.echo(f"注意：{len(orphans)} 个门户的代码已不在新表中（保留但不再使用）：{listed}")
    else:
        _, uncoded = dataio.normalise_portals([r for _, r in rows])
        uncoded = dataio.resolve_uncoded(uncoded, dataio.normalise_areacodes(current["areacodes"]))
        dataio.write_rows(target / "portals.csv", dataio.PORTAL_FIELDS, new_rows)
        if uncoded:
            dataio.write_rows(target / "uncoded_portals.csv", dataio.UNCODED_FIELDS, uncoded)
        click.echo(f"已写入 {target / 'portals.csv'}（{len(new_rows)} 个门户）")
    if target == dataio.data_dir():
        reload()
    click.echo("请同时更新 regions/data/PROVENANCE.md 中的来源与核对日期。")
