"""``nianbao sandbox``: serve or write out a simulated network of portals."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import click

from nianbao.sandbox import faults as fault_mode
from nianbao.sandbox.network import DEFAULT_SIZE, all_families, generate
from nianbao.sandbox.server import ProxyServer

FAMILIES_HELP = "站点家族:all 或逗号分隔(6 个模板、sandbox/styles.py 的列表样式、sandbox/zoo.py 的家族);门户依次轮流取用"


def _network(seed: int, size: int, families: str | None):
    """The network, optionally made of chosen site families (``all`` = every family)."""
    if not families:
        return generate(seed, size)
    chosen = all_families() if families == "all" else tuple(f.strip() for f in families.split(",") if f.strip())
    unknown = [f for f in chosen if f not in all_families()]
    if unknown or not chosen:
        raise click.BadParameter(f"未知的站点家族:{', '.join(unknown) or '(空)'};可选: {', '.join(all_families())}",
                                 param_hint="--families")
    return generate(seed, size, families=chosen)


def _write(network, truth: str | None, sites: str | None, departments: bool) -> None:
    if truth:
        Path(truth).write_text(json.dumps(network.ground_truth(), ensure_ascii=False, indent=1), encoding="utf-8")
        click.echo(f"真值文件: {truth}")
    if sites:
        Path(sites).write_text(network.sites_csv(departments=departments), encoding="utf-8")
        click.echo(f"站点清单: {sites}")


@click.group()
def sandbox() -> None:
    """模拟门户网络(离线测试、演示、基准用)。"""


@sandbox.command()
@click.option("--seed", "-S", default=1, show_default=True, help="随机种子(同一种子生成同一网络)")
@click.option("--size", "-n", default=DEFAULT_SIZE, show_default=True, help="县级门户数量")
@click.option("--truth", type=click.Path(dir_okay=False), help="写出真值 JSON")
@click.option("--sites", type=click.Path(dir_okay=False), help="写出站点清单 CSV")
@click.option("--departments/--no-departments", default=False, help="站点清单是否包含部门和乡镇")
@click.option("--families", default=None, metavar="all|FAMILY,...", help=FAMILIES_HELP)
def generate_cmd(seed: int, size: int, truth: str | None, sites: str | None, departments: bool,
                 families: str | None = None) -> None:
    """生成网络并写出真值和站点清单。"""
    network = _network(seed, size, families)
    _write(network, truth, sites, departments)
    t = network.ground_truth()
    click.echo(f"已生成 {size} 个门户, {len(t['reports'])} 份年报, {len(t['missing'])} 份缺失, {len(t['decoys'])} 个干扰页面。")


generate_cmd.name = "generate"


@sandbox.command()
@click.option("--port", "-p", default=8899, show_default=True, help="代理端口(0 = 任选空闲端口)")
@click.option("--seed", "-S", default=1, show_default=True)
@click.option("--size", "-n", default=DEFAULT_SIZE, show_default=True)
@click.option("--truth", type=click.Path(dir_okay=False), help="写出真值 JSON")
@click.option("--sites", type=click.Path(dir_okay=False), help="写出站点清单 CSV")
@click.option("--departments/--no-departments", default=False)
@click.option("--families", default=None, metavar="all|FAMILY,...", help=FAMILIES_HELP)
@click.option("--faults", default=None, metavar="all|KIND,...",
              help="故障模式(nianbao.sandbox.faults):all 或逗号分隔的故障种类;真值中记录每个故障")
def serve(port: int, seed: int, size: int, truth: str | None, sites: str | None, departments: bool,
          families: str | None = None, faults: str | None = None) -> None:
    """启动代理服务器,模拟网络中的所有 *.gov.cn 站点。"""

    if faults:  # reliability: the fault mode wraps the same network

        try:
            network = fault_mode.generate(seed, size, faults)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--faults") from exc
    else:
        network = _network(seed, size, families)
    _write(network, truth, sites, departments)
    server = ProxyServer(network, port=port)
    click.echo(f"模拟网络代理已启动: {server.url}  ({size} 个门户, 种子 {seed})")
    click.echo(f"使用方法: export http_proxy={server.url}  然后访问 {network.sites[0]['url']}")
    click.echo("按 Ctrl+C 停止。")
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
        click.echo("代理已停止。")
