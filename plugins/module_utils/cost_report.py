# Copyright: pathwai.airflow_ecs contributors
# Apache License 2.0
"""The cost estimate (cost_estimate.estimate) as people read it: a console table, a Markdown table
and an SVG bar chart of the cost by layer. Pure text, no dependency."""

from __future__ import annotations

from xml.sax.saxutils import escape


def _money(value: float) -> str:
    return f"{value:,.2f}"


def _quantity(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"


def _header(report: dict) -> list[str]:
    prices = report["prices"]
    return [
        f"Monthly cost estimate: {report['environment']} ({report['region']}), {report['currency']}, "
        f"{prices['hours_per_month']:g} hours a month, {report['steady_state']}",
        f"Prices: list prices as of {prices['date']} ({prices['file']}): {prices['source']}",
    ]


def _nat_lines(report: dict) -> list[str]:
    nat = report["nat_alternative"]
    more = nat["nat_free_costs_more_by"]
    verdict = f"NAT-free costs {_money(more)} more" if more >= 0 else f"NAT-free saves {_money(-more)}"
    return [
        f"Interface endpoints (hours + data): {_money(nat['replaces'])}; NAT gateways instead "
        f"({', '.join(i['item'] for i in nat['items'])}): {_money(nat['monthly'])}",
        f"Stack with NAT gateways: {_money(nat['total'])} a month; {verdict} a month.",
    ]


def _scaling_lines(report: dict) -> list[str]:
    return [
        f"{s['service']}: desired {s['desired_count']} (priced); autoscaling "
        f"{s['min_capacity']}-{s['max_capacity']} tasks = {_money(s['monthly_at_min'])} - "
        f"{_money(s['monthly_at_max'])} a month for its Fargate"
        for s in report["scaling"]
    ]


def table(report: dict) -> str:
    """The console report: every line item, the layer totals, the NAT comparison."""
    rows = [("layer", "resource", "item", "quantity", "unit", "unit price", "monthly")]
    rows += [
        (
            i["layer"],
            i["resource"],
            i["item"],
            _quantity(i["quantity"]),
            i["unit"],
            f"{i['unit_price']:g}",
            _money(i["monthly"]),
        )
        for i in report["items"]
    ]
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    right = {3, 5, 6}

    def line(row: tuple) -> str:
        cells = [
            cell.rjust(w) if c in right else cell.ljust(w)
            for c, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    rule = "-" * len(line(rows[0]))
    out = [*_header(report), "", line(rows[0]), rule, *(line(r) for r in rows[1:]), rule]
    out += [f"{layer:<12}{_money(total):>12}" for layer, total in report["layers"].items()]
    out += [f"{'TOTAL':<12}{_money(report['total']):>12}", "", *_nat_lines(report), *_scaling_lines(report)]
    out += ["Not counted: " + "; ".join(report["not_counted"]) + "."]
    return "\n".join(out) + "\n"


def markdown(report: dict) -> str:
    """The layer totals and every line item as Markdown tables (the README's)."""
    out = [f"*{line}*  " for line in _header(report)] + ["", "| layer | monthly (USD) |", "|---|---:|"]
    out += [f"| {layer} | {_money(total)} |" for layer, total in report["layers"].items()]
    out += [f"| **total** | **{_money(report['total'])}** |", ""]
    out += [
        "<details><summary>Every line item</summary>",
        "",
        "| layer | resource | item | quantity | unit | unit price | monthly |",
        "|---|---|---|---:|---|---:|---:|",
    ]
    out += [
        f"| {i['layer']} | {i['resource']} | {i['item']} | {_quantity(i['quantity'])} | {i['unit']} "
        f"| {i['unit_price']:g} | {_money(i['monthly'])} |"
        for i in report["items"]
    ]
    out += ["", "</details>", "", *(f"- {line}" for line in _nat_lines(report) + _scaling_lines(report))]
    return "\n".join(out) + "\n"


def svg(report: dict) -> str:
    """A bar per layer (its monthly cost), the total, and the NAT-gateway alternative."""
    layers = list(report["layers"].items())
    nat = report["nat_alternative"]
    bars = [*layers, ("total", report["total"]), ("total with NAT", nat["total"])]
    top = max(v for _, v in bars) or 1.0
    left, width, row, head = 130, 380, 24, 52
    height = head + row * len(bars) + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 170}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        f'<text x="10" y="20" font-size="14" font-weight="bold">{escape(report["environment"])}: '
        f"monthly cost by layer ({escape(report['currency'])})</text>",
        f'<text x="10" y="38" fill="#555555">AWS list prices as of {escape(report["prices"]["date"])}, '
        f"on-demand, {escape(report['region'])}; services at their desired count</text>",
    ]
    for n, (name, value) in enumerate(bars):
        y = head + n * row
        fill = "#2f6db5" if n < len(layers) else ("#333333" if name == "total" else "#b5562f")
        length = max(1.0, width * value / top)
        parts += [
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{escape(name)}</text>',
            f'<rect x="{left}" y="{y + 3}" width="{length:.1f}" height="{row - 8}" fill="{fill}"/>',
            f'<text x="{left + length + 6:.1f}" y="{y + 15}">{_money(value)}</text>',
        ]
    more = nat["nat_free_costs_more_by"]
    parts.append(
        f'<text x="10" y="{height - 12}" fill="#555555">NAT gateways instead of the interface endpoints: '
        f"{_money(nat['total'])} ({'NAT-free costs' if more >= 0 else 'NAT-free saves'} {_money(abs(more))} "
        f"a month)</text>"
    )
    return "\n".join([*parts, "</svg>"]) + "\n"
