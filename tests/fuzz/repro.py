"""A pasted repro (plain program text) back into a Program: each line's targets and op
spelling are read off the code, so allow-list entries can keep their repros as text. A line
ending in ``  # view`` is a documented view: its strides are compared."""

from __future__ import annotations

import re

from .program import Program, Stmt

ASSIGN = re.compile(r"(?:^|; |: )([a-z]\d+)(?:, [a-z]\d+)* = ")
INPLACE = re.compile(r"\b([a-z]\d+)(?:\[[^\]]*\])*\.([a-z_0-9]+_)\(")
SETITEM = re.compile(r"^([a-z]\d+)\[.*\] = ")
AUGMENTED = re.compile(r"^([a-z]\d+) (\S+)= ")
CALL = re.compile(r"(lib(?:\.nn\.functional|\.autograd)?\.[a-z_0-9]+)\(|\.([a-zA-Z_0-9]+)\(")


def parse(code: str) -> Program:
    stmts = []
    for line in code.strip().splitlines():
        line, _, comment = line.partition("  #")
        line = line.rstrip()
        if not line or line.startswith(("import ", "#")):
            continue
        body = re.sub(r"^with lib\.[a-z_]+\([^)]*\): ", "", line)
        targets = list(dict.fromkeys(ASSIGN.findall(line)))
        op = "?"
        m = INPLACE.search(body)
        if SETITEM.match(body):
            op = "setitem"
            targets.append(SETITEM.match(body).group(1))
        elif AUGMENTED.match(body):
            op = f"op:{AUGMENTED.match(body).group(2)}="
            targets.append(AUGMENTED.match(body).group(1))
        elif m:
            op = f"Tensor.{m.group(2)}"
            targets.append(m.group(1))
        else:
            expr = body.split(" = ", 1)[-1]
            c = CALL.search(expr)
            if expr.startswith("lib.tensor(") or expr.startswith("lib.zeros("):
                op = "lib.tensor"
            elif c:
                name = c.group(1) or f"Tensor.{c.group(2)}"
                op = name.replace("lib.nn.functional.", "F.").replace("lib.autograd.", "autograd.")
                if "out=" in expr:
                    op += "(out=)"
                if "create_graph=True" in expr:
                    op += "(create_graph)"
            elif "[" in expr:
                op = "getitem"
        phase = "backward" if re.search(r"backward\(|autograd\.grad|^l\d+ = ", body) else "forward"
        view = "view" in comment  # a repro marks the lines whose strides are compared
        source = re.match(r"[a-z]\d+(\[\d+\])?", body.split(" = ", 1)[-1]) if view else None
        stmts.append(Stmt(line, op, tuple(dict.fromkeys(targets)), view, phase,
                          source.group(0) if source else ""))
    return Program(stmts)
