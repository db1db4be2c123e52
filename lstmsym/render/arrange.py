"""Where the forward diagram puts things, for every cell the same way (colah's picture): the state lines on top,
each a straight row running left to right, the layers in rows below them in their family's gate order, the inputs
at the bottom. Mixed into ForwardBuilder, which supplies the diagram and the cell."""

from __future__ import annotations



#: The order of the gates within a family, left to right, by the names the built-in cells give them (PyTorch's
#: The order of the gates within a family, left to right, by the names the built-in cells give them: colah's LSTM
#: picture (f, i, g, o: the forget gate meets the cell state first; PyTorch's i, f, g, o order crossed 60 more
#: edges over the gallery), PyTorch's GRU order r, z, n. Layers of other names are not ordered.
GATE_ORDER = {"lstm": ("f", "f_tilde", "i", "i_tilde", "i_s", "g", "c_tilde", "z", "h_hat", "o"),
              "gru": ("r", "z", "c", "h_tilde", "n")}


class Arrangement:
    """Rows, state lines and gate order of the forward diagram (see the module docstring)."""

    def arrange(self) -> None:
        """colah's picture, for every cell: the state lines on top (one row each, left to right), the layers in
        rows below them in the family's gate order, the inputs at the bottom."""
        d = self.diagram
        d.graph["rankdir"] = "BT"
        lines = [self.lines[s.name] for s in self.cell.states if self.lines.get(s.name)]
        (d.lines if self.clustered else d.same_rank).extend(lines)
        if self.stacked:
            self.stack(lines)
        for row in self.layer_rows():
            row = sorted(row, key=self.gate_rank)
            d.same_rank.append(row)
            gates = [box for box in row if self.gate_rank(box) < len(GATE_ORDER.get(self.cell.family, ()))]
            for left, right in zip(gates, gates[1:]) if self.gates_ordered else ():  # unseen edges keep the
                d.connect(left, right, kind="order")  # family's gates in order, left to right; other layers are free
        bottom = [f"in_{i.name}" for i in self.cell.inputs]
        for state in self.cell.states:
            if lines:  # with a state line on top, the other previous states enter below, as colah's h_{t-1}
                bottom += [] if self.lines.get(state.name) else [f"in_{state.previous}"]
            else:  # no line at all (rnn's h = tanh(W x + U h_{t-1} + b)): as colah's RNN, the previous state
                self.top_row(f"in_{state.previous}", f"out_{state.name}")  # enters top left, the state leaves top right
        d.same_rank.append(bottom)

    def top_row(self, previous: str, state: str) -> None:
        """The previous state left of the state in the top row; the edges it sends down do not rank it."""
        d = self.diagram
        d.same_rank.append([previous, state])
        d.connect(previous, state, kind="order")
        for edge in d.edges:  # its reads run down into the layers, not up from below
            if edge.tail == previous and edge.kind != "order":
                edge.attrs["constraint"] = "false"

    def stack(self, lines: list[list[str]]) -> None:
        """State lines one above another, never two in one row (they would interleave): where no value flows
        between two lines, an unseen edge puts the one declared first on top."""
        d = self.diagram
        for k, upper in enumerate(lines):
            for lower in lines[k + 1:]:
                if not self.reaches(upper, lower) and not self.reaches(lower, upper):
                    d.connect(lower[0], upper[0], kind="order")

    def reaches(self, sources: list[str], goals: list[str]) -> bool:
        """Whether a value flows from any of sources to any of goals."""
        nexts: dict[str, list[str]] = {}
        for edge in self.diagram.edges:
            nexts.setdefault(edge.tail, []).append(edge.head)
        seen, frontier = set(sources), list(sources)
        while frontier:
            for head in nexts.get(frontier.pop(), []):
                if head in goals:
                    return True
                if head not in seen:
                    seen.add(head)
                    frontier.append(head)
        return False

    def gate_rank(self, node: str) -> int:
        """A layer's place in its family's gate order (GATE_ORDER); layers of other names after, as written."""
        order = GATE_ORDER.get(self.cell.family, ())
        key = node.removeprefix("layer_")
        return order.index(key) if key in order else len(order)

    def layer_rows(self) -> list[list[str]]:
        """Layers in rows by how many layers lie before them (layer norm's gates read the products' statistics,
        so they sit a row above the products); one row for the usual cell."""
        kind = {n.name: n.kind for n in self.diagram.nodes}
        preds: dict[str, list[str]] = {}
        for e in self.diagram.edges:
            preds.setdefault(e.head, []).append(e.tail)
        depth: dict[str, int] = {}

        def before(name: str) -> int:
            if name not in depth:
                depth[name] = 0
                depth[name] = max((before(p) + (kind[p] == "layer") for p in preds.get(name, [])), default=0)
            return depth[name]

        rows: dict[int, list[str]] = {}
        for name, k in kind.items():
            if k == "layer":
                rows.setdefault(before(name) if self.rows_by_depth else 0, []).append(name)
        return [rows[k] for k in sorted(rows)]

    def mark_state_lines(self) -> None:
        """Thick, straight lines from each previous state to the state (the cell state along the top)."""
        d = self.diagram
        self.lines: dict[str, list[str]] = {}
        for state in self.cell.states:
            path = self.path(f"in_{state.previous}", f"out_{state.name}") if state.name in self.line_states else []
            self.lines[state.name] = path
            for tail, head in zip(path, path[1:]):
                for edge in d.edges:
                    if edge.tail == tail and edge.head == head:  # unlabelled: the line's ends name it, and dot
                        edge.kind, edge.label, edge.tex = "state", "", ""  # bends a labelled edge within a row
            for name in path:
                node = next(n for n in d.nodes if n.name == name)
                node.attrs.setdefault("group", f"state_{state.name}")
        on_line = {name for path in self.lines.values() for name in path}
        for edge in d.edges:  # a branch off a flat line must not pull it apart
            if edge.tail in on_line and edge.head not in on_line:
                edge.attrs["constraint"] = "false"

    def path(self, start: str, goal: str) -> list[str]:
        nexts: dict[str, list[str]] = {}
        for edge in self.diagram.edges:
            nexts.setdefault(edge.tail, []).append(edge.head)
        frontier, seen = [[start]], {start}
        while frontier:
            path = frontier.pop(0)
            if path[-1] == goal:
                return path
            for head in nexts.get(path[-1], []):
                if head not in seen and not head.startswith("layer_"):
                    seen.add(head)
                    frontier.append(path + [head])
        return []
