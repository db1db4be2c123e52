"""A displayed MathML equation too wide for a page, broken across lines. Browsers' MathML (MathML Core, as
Chromium draws it) never breaks a line by itself, so a long gate scrolled sideways at 1280 px. The printer's nested
<mrow>s are flattened into one row of atoms, and the row is broken before a +, − or ⊙ at any bracket depth, as the
LaTeX side does (render.linebreak): the lines go in a two-column <mtable>, `lhs =` in the first column of the first
line, every later line indented under the right-hand side.

Widths are estimated in em from the atoms (a script at 71 % of its base, a fraction as wide as its wider part);
`LINE_EM` is what fits the site's column (62rem at math size 1.15em, with room for the estimate's error)."""

from __future__ import annotations

from xml.dom import minidom

#: The widest line, in em of the math font (the column holds about 54).
LINE_EM = 43.0
#: Where a line may break: before these operators.
BREAK_BEFORE = ("+", "−", "⊙")
#: After these a break would leave an operand alone (a sign, an opened bracket).
NO_BREAK_AFTER = ("(", "[", "+", "−", "⊙", "=", "∗", ",", "|")
SCRIPT = 0.71
#: Inline, so a page that embeds the equation (Sphinx, MkDocs) draws it the same without our stylesheet.
CELL = "padding: 0.1em 0; "


def _elements(node) -> list:
    return [c for c in node.childNodes if c.nodeType == c.ELEMENT_NODE]


def _text(node) -> str:
    return "".join(c.data for c in node.childNodes if c.nodeType == c.TEXT_NODE).strip()


def width(node) -> float:
    """The estimated width of one MathML element, in em."""
    tag, kids = node.tagName, _elements(node)
    if tag == "mi":
        text = _text(node)
        return 0.62 if len(text) == 1 else 0.5 * len(text) + 0.1
    if tag == "mn":
        return 0.5 * len(_text(node))
    if tag == "mo":
        text = _text(node)
        return 0.4 if text in "()[]|⌊⌋" else (0.35 if text == "," else 1.05 * max(1, len(text)))
    if tag in ("msub", "msup"):
        return width(kids[0]) + SCRIPT * width(kids[1])
    if tag == "msubsup":
        return width(kids[0]) + SCRIPT * max(width(kids[1]), width(kids[2]))
    if tag in ("mfrac", "mover", "munder"):
        return max(width(k) for k in kids) + 0.2
    if tag == "msqrt":
        return 1.0 + sum(width(k) for k in kids)
    if tag == "mspace":
        return float(node.getAttribute("width").removesuffix("em") or 0)
    return sum(width(k) for k in kids)


def _atoms(node, line: float = float("inf")) -> list:
    """The row's children with every nested <mrow> opened, in reading order; a fraction wider than `line` is
    written (a) / (b), so it can break as the LaTeX side's does (render.linebreak.unfold)."""
    out = []
    for child in _elements(node):
        if child.tagName == "mrow":
            out.extend(_atoms(child, line))
        elif child.tagName == "mfrac" and width(child) > line:
            top, bottom = _elements(child)
            out += [_mo(node, "("), *_atoms(_row(top), line), _mo(node, ")"), _mo(node, "/"),
                    _mo(node, "("), *_atoms(_row(bottom), line), _mo(node, ")")]
        else:
            out.append(child)
    return out


def _mo(node, text: str):
    made = node.ownerDocument.createElement("mo")
    made.appendChild(node.ownerDocument.createTextNode(text))
    return made


def _row(node):
    """An element as a row to open: an <mrow> as it is, anything else wrapped in one."""
    if node.tagName == "mrow":
        return node
    row = node.ownerDocument.createElement("mrow")
    row.appendChild(node.cloneNode(True))
    return row


def _is(atom, *texts: str) -> bool:
    return atom.tagName == "mo" and _text(atom) in texts


def _depths(atoms: list) -> list[int]:
    """The bracket depth before each atom."""
    depth, out = 0, []
    for atom in atoms:
        out.append(depth)
        depth += _is(atom, "(", "[") - _is(atom, ")", "]")
    return out


def _lines(atoms: list, first: float, line: float) -> list[list]:
    """The atoms cut into lines: the first of at most `first` em, the others of at most `line`."""
    depths, lines, start = _depths(atoms), [], 0
    room = first
    while sum(width(a) for a in atoms[start:]) > room:
        candidates = [i for i in range(start + 1, len(atoms))
                      if _is(atoms[i], *BREAK_BEFORE) and not _is(atoms[i - 1], *NO_BREAK_AFTER)]
        fitting = [i for i in candidates if sum(width(a) for a in atoms[start:i]) <= room]
        full = [i for i in fitting if sum(width(a) for a in atoms[start:i]) >= 0.6 * room]
        chosen = (min(full, key=lambda i: (depths[i], -i)) if full
                  else fitting[-1] if fitting else candidates[0] if candidates else None)
        if chosen is None:
            break
        lines.append(atoms[start:chosen])
        start, room = chosen, line
    lines.append(atoms[start:])
    return lines


def display(lhs: str, relation: str, rhs: str, line_em: float = LINE_EM) -> str:
    """<math display="block"> lhs relation rhs </math>, one line where it fits, else an <mtable> of lines."""
    one = f'<math display="block"><mrow>{lhs}<mo>{relation}</mo>{rhs}</mrow></math>'
    dom = minidom.parseString(f"<r><mrow>{lhs}</mrow><mrow>{rhs}</mrow></r>")
    left, right = _elements(dom.documentElement)
    head = width(left) + 1.05
    if head + width(right) <= line_em:
        return one
    indent = 2.0
    lines = _lines(_atoms(right, line_em - head - indent), line_em - head, line_em - head - indent)
    if len(lines) == 1:
        return one
    rows = []
    for index, atoms in enumerate(lines):
        body = "".join(a.toxml() for a in atoms)
        first = f"{lhs}<mo>{relation}</mo>" if index == 0 else ""
        space = "" if index == 0 else f'<mspace width="{indent:g}em"/>'
        rows.append(f'<mtr><mtd style="{CELL}text-align: right"><mrow displaystyle="true">{first}</mrow></mtd>'
                    f'<mtd style="{CELL}text-align: left"><mrow displaystyle="true">{space}{body}</mrow></mtd></mtr>')
    return f'<math display="block"><mtable>{"".join(rows)}</mtable></math>'
