"""The day grid's table body, built in Python rather than Jinja because it is the hot path.

A large center's day has ~800 cells. Rendered cell by cell in Jinja it was most of the day view
and of every refused booking's page (each expression escaped and looked up in turn); here each
row is one string join, with the same markup and every dynamic value escaped.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup, escape

from ...centers.labels import SPACE_KIND_LABELS
from ...timeutils import to_local
from ..search import DayGrid


def grid_body(grid: DayGrid, day_url: str, free_runs: dict) -> Markup:
    """The <tr> rows of the day grid: a header cell per space, then one cell per 30-minute slot.

    ``free_runs`` maps (space id, slot index) of each free cell to its run's URL-quoted end.
    """
    if not grid.rows:
        return Markup("")
    starts = [slot.strftime("%H:%M") for slot in grid.slot_starts]  # already local
    quoted_starts = [start.replace(":", "%3A") for start in starts]
    ends = [to_local(cell.ends_at).strftime("%H:%M") for cell in grid.rows[0].cells]
    url = str(escape(day_url))
    fixed = {
        "mine": f'<td class="slot-mine">{escape(_("Yours"))}</td>',
        "taken": f'<td class="slot-taken">{escape(_("Taken"))}</td>',
        "past": f'<td class="slot-past">{escape(_("Past"))}</td>',
        "closed": f'<td class="slot-closed">{escape(_("Closed"))}</td>',
    }
    free = str(escape(_("Free")))
    kind_names = {kind: str(escape(label)) for kind, label in SPACE_KIND_LABELS.items()}
    rows = []
    for row in grid.rows:
        space = row.space
        code = str(escape(space.code))
        detail = kind_names[space.kind]
        if space.kind.is_room:
            detail += " · " + str(escape(ngettext("%(num)d person", "%(num)d people", space.capacity)))
        cells = [f'<tr>\n<th scope="row">{code} <span class="muted">{detail}</span></th>']
        for index, cell in enumerate(row.cells):
            if cell.state == "free":
                cells.append(
                    f'<td class="slot-free"><a href="{url}&amp;space={space.id}&amp;start={quoted_starts[index]}'
                    f'&amp;end={free_runs[(space.id, index)]}#book" data-space="{space.id}" '
                    f'data-start="{starts[index]}" data-end="{ends[index]}">{free}'
                    f'<span class="visually-hidden"> {code} {starts[index]}</span></a></td>'
                )
            else:
                cells.append(fixed.get(cell.state, fixed["closed"]))
        cells.append("</tr>")
        rows.append("".join(cells))
    return Markup("\n".join(rows))
