"""Static checks of Python source that a remedy rests on: is a name bound where a line uses it, where an
import of it belongs, and how a setting is read. Parsed with `ast` and `symtable`, never run."""

from __future__ import annotations

import ast
import symtable


def compiles(source: str, filename: str = "<remedy>") -> bool:
    try:
        compile(source, filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def line_of(source: str, text: str, near: int | None = None) -> int | None:
    """The number of the line whose stripped text is `text` (the one closest to `near` if several)."""
    wanted = text.strip()
    found = [n for n, line in enumerate(source.splitlines(), 1) if line.strip() == wanted]
    if not found:
        return None
    return min(found, key=lambda n: abs(n - near)) if near is not None else found[0]


def name_bound_at(source: str, name: str, line: int) -> bool:
    """Whether `name`, used on `line`, resolves to a binding: a local, parameter or import of the function
    the line is in, of an enclosing function, or of the module (class bodies do not enclose methods)."""
    try:
        tree = ast.parse(source)
        module = symtable.symtable(source, "<remedy>", "exec")
    except (SyntaxError, ValueError):
        return False
    chain = [module, *_scopes_at(module, _enclosing(tree, line))]
    for index, table in enumerate(reversed(chain)):
        if table.get_type() == "class" and index > 0:
            continue  # a method does not see its class body's names
        try:
            symbol = table.lookup(name)
        except KeyError:
            continue
        if symbol.is_imported() or symbol.is_assigned() or symbol.is_parameter():
            return True
    return False


SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


Scope = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda


def _enclosing(tree: ast.AST, line: int) -> list[Scope]:
    """The functions, lambdas and classes that contain `line`, outermost first."""
    found: list[Scope] = [node for node in ast.walk(tree) if isinstance(node, SCOPES)
             and node.lineno <= line <= (node.end_lineno or node.lineno)]
    return sorted(found, key=lambda node: (node.lineno, -(node.end_lineno or node.lineno)))


def _scopes_at(module: symtable.SymbolTable, nodes: list[Scope]) -> list[symtable.SymbolTable]:
    """The symbol tables of `nodes` (ast scopes, outermost first), matched by name and line."""
    tables: list[symtable.SymbolTable] = []
    current = module
    for node in nodes:
        name = "lambda" if isinstance(node, ast.Lambda) else getattr(node, "name", "")
        lines = {node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))}
        child = next((t for t in current.get_children() if t.get_name() == name and t.get_lineno() in lines), None)
        if child is None:
            break
        tables.append(child)
        current = child
    return tables


def import_position(source: str | ast.Module, module: str) -> int:
    """The line after which `import module` belongs: among the file's plain top-level imports, in
    alphabetical order; after its last top-level import when it has no plain one; after the module
    docstring (and `from __future__` imports) when it has none."""
    tree = ast.parse(source) if isinstance(source, str) else source
    body = tree.body
    plain = [n for n in body if isinstance(n, ast.Import)]
    if plain:
        before = [n for n in plain if n.names[0].name < module]
        if before:
            return max(n.end_lineno or n.lineno for n in before)
        return plain[0].lineno - 1
    imports = [n for n in body if isinstance(n, ast.ImportFrom)]
    if imports:
        return max(n.end_lineno or n.lineno for n in imports)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        return body[0].end_lineno or body[0].lineno
    return 0


def env_reads(source: str, variable: str) -> list[tuple[int, bool]]:
    """Where `variable` is read from the environment: (line, has a default). `os.environ[...]` has
    none; `os.environ.get(V)` and `os.getenv(V)` return None, which counts as none either."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    reads = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and ast.unparse(node.value).endswith("environ") and _constant(node.slice) == variable:
            reads.append((node.lineno, False))
        elif isinstance(node, ast.Call) and node.args and _constant(node.args[0]) == variable \
                and ast.unparse(node.func).endswith(("environ.get", "getenv", "environ.setdefault")):
            reads.append((node.lineno, len(node.args) > 1 or any(k.arg == "default" for k in node.keywords)))
    return sorted(reads)


def _constant(node):
    return node.value if isinstance(node, ast.Constant) else None
