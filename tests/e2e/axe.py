"""axe-core in the browser tests: the engine from node_modules (npm ci installs it from the lock), run on the page as
it stands, reporting WCAG 2.2 A/AA violations of serious or critical impact."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = ("serious", "critical")


def axe_violations(page: Any, include: str | None = None, impacts: tuple[str, ...] = BLOCKING) -> list[dict[str, Any]]:
    """The violations axe-core finds on `page` (optionally only under the CSS selector `include`), each as
    ``{id, impact, help, nodes: [selector …]}``, limited to `impacts`."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    context = include if include else "document"
    found = page.evaluate(
        """async ([context, tags]) => {
            const target = context === 'document' ? document : document.querySelector(context);
            const result = await window.axe.run(target, {runOnly: {type: 'tag', values: tags},
                                                         resultTypes: ['violations']});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 8)}));
        }""",
        [context, WCAG_TAGS],
    )
    return [v for v in found if v["impact"] in impacts]


def describe(violations: list[dict[str, Any]]) -> str:
    """One line per violation, for an assertion message a reader can act on."""
    return "\n".join(f"{v['impact']} {v['id']}: {v['help']} — {', '.join(v['nodes'])}" for v in violations)
