"""The page as cleanpipe saw it, with every removed part marked and the rule that removed it."""

from __future__ import annotations

from cleanpipe.pipeline import CleanResult
from cleanpipe.stages.render import render_block

_RED, _DIM, _GREEN, _RESET = "\x1b[31;9m", "\x1b[2m", "\x1b[32m", "\x1b[0m"


def explain(result: CleanResult, *, color: bool) -> str:
    """One line per block: kept blocks as they render, removed ones marked '- [stage/rule]'.

    Removals that were not whole blocks (escapes, markup fragments, repeats inside a line) follow.
    """
    doc = result.document
    if doc is None:
        return ""
    lines: list[str] = []
    # A removal with a score shows it beside its rule: the line model's or a corpus template's (0-1), the
    # similarity of a duplicate passage (0-100).
    scores = {r.block: r.score for r in result.removals if r.block is not None and r.score is not None}
    for index, block in enumerate(doc.blocks):
        text = render_block(block) if block.kind != "title" else "# " + block.text
        score = f" {scores[index]:g}" if index in scores else ""
        if block.kept:
            lines.append("  " + text)
        elif color:
            lines.append(f"{_DIM}- [{block.removed_by}{score}]{_RESET} {_RED}{text}{_RESET}")
        else:
            lines.append(f"- [{block.removed_by}{score}] {text}")
    partial = [r for r in result.removals if r.block is None or doc.blocks[r.block].kept]
    if partial:
        lines.append("")
        heading = "also removed (parts of lines):"
        lines.append(f"{_GREEN}{heading}{_RESET}" if color else heading)
        for removal in partial:
            where = f" line {removal.line}" if removal.line else ""
            lines.append(f"- [{removal.stage}/{removal.rule}]{where}: {removal.text!r} ({removal.reason})")
    return "\n".join(lines) + "\n"
