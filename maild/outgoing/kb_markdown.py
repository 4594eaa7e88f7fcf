"""A knowledge-base entry as Markdown (kb.dir holds one file per entry). Pure."""

from __future__ import annotations

from typing import Any


def markdown(entry: dict[str, Any]) -> str:
    """`entry` as `store.kb.entries` gives it; its screenshots are paths beside the file."""
    lines = [f"# {entry['title']}", "",
             f"- 编号 / Entry: {entry['id']}",
             f"- 类型 / Type: {entry['type'] or '-'}",
             f"- 模块 / Module: {entry['module'] or '-'}",
             f"- 来源工单 / Ticket: {entry['ticket']}",
             f"- 状态 / Status: {entry['status']}", "",
             "## 问题与原因 / FAQ", "", entry["faq"], "",
             "## 解决步骤 / Steps", "", entry["steps"] or "-", ""]
    if entry["screenshots"]:
        lines += ["## 截图 / Screenshots", "", *(f"![{path.rpartition('/')[2]}]({path})" for path in entry["screenshots"]), ""]
    return "\n".join(lines)
