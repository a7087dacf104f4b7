"""Refuses, at load time, resolver code that AppSync's APPSYNC_JS runtime refuses at create time.

AppSync answers CreateFunction/CreateResolver/EvaluateCode for such code with
`BadRequestException: The code contains one or more errors.` and a list of CodeErrors
(errorType LINT_ERROR or PARSER_ERROR, a line/column/span location, a message). This module
reports the same kind of list, from the rules AWS documents:

- the "Supported runtime features" page of the AppSync developer guide (statements and
  operators that are not supported: try/catch/finally, throw, while, do-while, classic for,
  continue, labels, ++/--/~, `in`);
- the rules of AWS's own `@aws-appsync/eslint-plugin` (no-async, no-await, no-classes,
  no-generators, no-yield, no-regex, no-this, no-promise, no-recursion,
  no-disallowed-binary-operators (instanceof), no-function-passing, no-function-return,
  no-function-reassign, no-disallowed-re-assignment, no-disallowed-methods; no-sort-comparator is the
  plugin's no-function-passing for sort, which the guide says takes no arguments). The plugin's rules
  that need TypeScript type information are applied here by name, without types; docs/local-stack.md
  ("APPSYNC_JS conformance") lists where that is coarser than AWS;
- functions that are absent from the runtime's list of built-ins: `Function.prototype.call`,
  `apply`, `bind`, the `Function` constructor and `eval`.

The parser is tree-sitter's JavaScript grammar, so `?.`, `??` and every other ES2020+ form the
runtime accepts parse as they do on AWS.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import tree_sitter
import tree_sitter_javascript

SUPPORTED_FEATURES_URL = "https://docs.aws.amazon.com/appsync/latest/devguide/supported-features.html"


@dataclass(frozen=True)
class CodeError:
    """One refusal, shaped like AppSync's CodeError (plus the rule that fired)."""

    error_type: str  # LINT_ERROR or PARSER_ERROR, as AppSync names them
    rule: str
    line: int  # 1-based, as AppSync reports it
    column: int  # 1-based
    span: int
    message: str

    def describe(self, file: str) -> str:
        return f"{file}:{self.line}:{self.column}: {self.error_type} [{self.rule}] {self.message}"


class UnsupportedCodeError(ValueError):
    """The code uses what the APPSYNC_JS runtime rejects; AppSync would refuse to create it."""

    def __init__(self, file: str, errors: list[CodeError]) -> None:
        self.file = file
        self.errors = errors
        lines = "\n".join("  " + e.describe(file) for e in errors)
        super().__init__(
            f"{file}: The code contains one or more errors (AppSync refuses this code at create time with "
            f"BadRequestException; see {SUPPORTED_FEATURES_URL}):\n{lines}"
        )


# Rule -> what to write instead. Messages name the construct and the supported alternative.
_MESSAGES = {
    "no-try": "try/catch/finally is not supported. Check values before using them and fail the field with "
    "util.error(message, errorType).",
    "no-throw": "throw is not supported. Fail the field with util.error(message, errorType), or add an error "
    "and go on with util.appendError(...).",
    "no-while": "{what} loops are not supported. Loop over a bounded array with for-of or an array method "
    "(items.forEach/map/filter/some).",
    "no-for": "classic for(init; test; update) loops are not supported. Use for-of / for-in, or an array method "
    "(e.g. Array(n).fill(0).map((_, i) => ...)).",
    "no-continue": "continue is not supported. Invert the condition (if (!skip) {...}) or filter the array first.",
    "no-labels": "labeled statements are not supported.",
    "no-disallowed-unary-operators": "the operator {what} is not supported. Write x = x + 1 / x = x - 1 (or "
    "-x - 1 for ~x).",
    "no-in-operator": "the in operator is not supported. Use Object.hasOwn(object, key).",
    "no-disallowed-binary-operators": "the operator instanceof is not supported. Compare typeof or use "
    "Array.isArray.",
    "no-classes": "classes are not supported. Use plain objects and functions.",
    "no-async": "async functions are not supported. Handlers run synchronously; the data source call happens "
    "between request and response.",
    "no-await": "await is not supported. Handlers run synchronously; the data source call happens between "
    "request and response.",
    "no-generators": "generator functions are not supported.",
    "no-yield": "yield is not supported.",
    "no-regex": "regular expression literals are not supported. Use util.matches(pattern, value) or string "
    "methods.",
    "no-this": "this is not supported. Pass values as arguments.",
    "no-promise": "Promise is not supported. Handlers run synchronously.",
    "no-recursion": "recursion is not supported ({what}). Rewrite it as a bounded loop over the data.",
    "no-function-call-apply-bind": "Function.prototype.{what} is not supported. Call the function directly.",
    "no-function-constructor": "{what} is not supported: code cannot be built at run time.",
    "no-function-passing": "functions cannot be passed as an argument{what}. Only the array methods map, "
    "filter, find, findIndex, findLast, findLastIndex, forEach, reduce, reduceRight, every, some and flatMap "
    "take a callback, and it must be written inline (an arrow or function expression).",
    "no-sort-comparator": "Array.prototype.sort() takes no arguments in APPSYNC_JS (AWS: \"sort() doesn't support "
    "arguments\"); it sorts by string order. Sort a list of strings (e.g. equal-length keys) and map back to the "
    "items: `const byKey = {}; items.forEach((i) => { byKey[i.key] = i; }); "
    "Object.keys(byKey).sort().map((k) => byKey[k])`.",
    "no-function-return": "a function cannot return a function.",
    "no-function-reassign": "the function {what} cannot be reassigned.",
    "no-disallowed-re-assignment": "{what} is readonly: assigning it (or its own properties) is not supported. "
    "Keep values in ctx.stash.",
    "no-disallowed-methods": "the method {what} is not implemented by the APPSYNC_JS runtime.",
    "parse": "Parsing error: {what}",
}

# The callbacks AWS's no-function-passing rule allows (the array methods).
CALLBACK_METHODS = frozenset(
    {"map", "find", "filter", "findIndex", "findLast", "findLastIndex", "forEach", "reduce", "reduceRight",
     "every", "some", "flatMap"}
)
# no-disallowed-methods, where a call's receiver tells the type without type information.
_DISALLOWED_STATIC = {
    "Object": {"create", "defineProperties", "defineProperty", "freeze", "getOwnPropertyDescriptor",
               "getOwnPropertyDescriptors", "getOwnPropertyNames", "getOwnPropertySymbols", "getPrototypeOf",
               "is", "isExtensible", "isFrozen", "isSealed", "preventExtensions", "seal", "setPrototypeOf"},
    "Array": {"from", "of"},
    "String": {"fromCharCode", "fromCodePoint"},  # String.raw is documented as supported
}
# Array methods AWS's rule denies whose names other types share: refused on what is certainly an
# array, and the iterators (keys/values/entries) whenever called without arguments (Object.keys
# and friends take one), as nothing else in APPSYNC_JS answers them.
_ARRAY_ITERATORS = frozenset({"keys", "values", "entries"})
_ARRAY_ONLY = _ARRAY_ITERATORS | {"toString", "toLocaleString"}
_ARRAY_RESULTS = frozenset({"map", "filter", "slice", "concat", "flat", "flatMap", "sort", "reverse", "splice"})
# Instance methods whose names belong to one built-in type only (String, Date, Array).
_DISALLOWED_INSTANCE = {
    "charCodeAt": "String", "localeCompare": "String", "matchAll": "String", "padEnd": "String",
    "padStart": "String", "repeat": "String", "search": "String", "toLocaleLowerCase": "String",
    "toLocaleUpperCase": "String", "copyWithin": "Array", "groupToMap": "Array", "setDate": "Date",
    "setFullYear": "Date", "setHours": "Date", "setMilliseconds": "Date", "setMinutes": "Date", "setMonth": "Date",
    "setSeconds": "Date", "setTime": "Date", "setUTCDate": "Date", "setUTCFullYear": "Date", "setUTCHours": "Date",
    "setUTCMilliseconds": "Date", "setUTCMinutes": "Date", "setUTCMonth": "Date", "setUTCSeconds": "Date",
    "setYear": "Date", "toGMTString": "Date", "toLocaleDateString": "Date", "toLocaleString": "Date",
    "toLocaleTimeString": "Date",
}
_FUNCTION_LITERALS = frozenset({"arrow_function", "function_expression", "function"})
_FUNCTION_NODES = _FUNCTION_LITERALS | {"function_declaration", "generator_function_declaration",
                                         "generator_function", "method_definition"}
_SIMPLE = {
    "try_statement": "no-try",
    "throw_statement": "no-throw",
    "for_statement": "no-for",
    "continue_statement": "no-continue",
    "labeled_statement": "no-labels",
    "class_declaration": "no-classes",
    "class": "no-classes",
    "await_expression": "no-await",
    "generator_function_declaration": "no-generators",
    "generator_function": "no-generators",
    "yield_expression": "no-yield",
    "regex": "no-regex",
    "this": "no-this",
}


@lru_cache(maxsize=1)
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_javascript.language()))


def _text(node: tree_sitter.Node) -> str:
    return node.text.decode("utf-8") if node.text is not None else ""


class _Checker:
    def __init__(self, source: bytes) -> None:
        self.source = source
        self.errors: list[CodeError] = []
        self.function_names: set[str] = set()  # declared functions and consts bound to function literals
        self.array_names: set[str] = set()  # names bound to an array literal

    def report(self, node: tree_sitter.Node, rule: str, what: str = "", error_type: str = "LINT_ERROR") -> None:
        row, col = node.start_point
        # tree-sitter columns are bytes; AppSync reports characters
        line_start = self.source.rfind(b"\n", 0, node.start_byte) + 1
        column = len(self.source[line_start:node.start_byte].decode("utf-8", "replace")) + 1
        end = node.end_byte if node.end_point[0] == row else self.source.find(b"\n", node.start_byte)
        span = max(1, len(self.source[node.start_byte:end].decode("utf-8", "replace")))
        message = _MESSAGES[rule].replace("{what}", what)
        self.errors.append(CodeError(error_type, rule, row + 1, column, span, message))

    # ------------------------------------------------------------------ passes
    def run(self, root: tree_sitter.Node) -> list[CodeError]:
        if root.has_error:
            self._syntax_errors(root)
            return self.errors  # rules on a broken tree would report noise
        self._collect_function_names(root)
        self._walk(root)
        self._recursion(root)
        self._context_reassignment(root)
        self.errors.sort(key=lambda e: (e.line, e.column, e.rule))
        return self.errors

    def _syntax_errors(self, node: tree_sitter.Node) -> None:
        if node.is_missing:
            self.report(node, "parse", f"'{node.type}' expected.", "PARSER_ERROR")
            return
        if node.type == "ERROR":
            token = _text(node).split("\n", 1)[0][:40]
            self.report(node, "parse", f"unexpected {token!r}.", "PARSER_ERROR")
            return
        for child in node.children:
            if child.has_error or child.is_missing:
                self._syntax_errors(child)

    def _collect_function_names(self, node: tree_sitter.Node) -> None:
        stack = [node]
        while stack:
            n = stack.pop()
            if n.type in ("function_declaration", "generator_function_declaration"):
                name = n.child_by_field_name("name")
                if name is not None:
                    self.function_names.add(_text(name))
            elif n.type == "variable_declarator":
                name, value = n.child_by_field_name("name"), n.child_by_field_name("value")
                if name is not None and name.type == "identifier" and value is not None \
                        and value.type in _FUNCTION_LITERALS:
                    self.function_names.add(_text(name))
                elif name is not None and name.type == "identifier" and value is not None and value.type == "array":
                    self.array_names.add(_text(name))
            stack.extend(n.children)

    def _walk(self, root: tree_sitter.Node) -> None:
        stack = [root]
        while stack:
            node = stack.pop()
            stack.extend(reversed(node.children))
            if not node.is_named:
                continue  # keyword tokens share their names with node types ("class", "function")
            kind = node.type
            rule = _SIMPLE.get(kind)
            if rule:
                self.report(node, rule)
            if kind in ("while_statement", "do_statement"):
                self.report(node, "no-while", "while" if kind == "while_statement" else "do-while")
            elif kind == "update_expression":
                operator = next((_text(c) for c in node.children if c.type in ("++", "--")), "++")
                self.report(node, "no-disallowed-unary-operators", operator)
            elif kind == "unary_expression" and node.child_by_field_name("operator") is not None \
                    and _text(node.child_by_field_name("operator")) == "~":
                self.report(node, "no-disallowed-unary-operators", "~")
            elif kind == "binary_expression":
                operator = _text(node.child_by_field_name("operator"))
                if operator == "in":
                    self.report(node, "no-in-operator")
                elif operator == "instanceof":
                    self.report(node, "no-disallowed-binary-operators")
            elif kind in _FUNCTION_NODES and any(c.type == "async" for c in node.children):
                self.report(node, "no-async")
            elif kind == "method_definition" and any(c.type == "*" for c in node.children):
                self.report(node, "no-generators")
            elif kind == "identifier" and _text(node) == "Promise":
                self.report(node, "no-promise")
            elif kind == "identifier" and _text(node) == "eval" and self._is_callee(node):
                self.report(node, "no-function-constructor", "eval")
            elif kind == "new_expression":
                ctor = node.child_by_field_name("constructor")
                if ctor is not None and _text(ctor) == "Function":
                    self.report(node, "no-function-constructor", "new Function(...)")
            elif kind == "call_expression":
                self._call(node)
            elif kind == "return_statement":
                value = next((c for c in node.named_children if c.type != "comment"), None)
                if value is not None and value.type in _FUNCTION_LITERALS:
                    self.report(value, "no-function-return")
            elif kind in ("assignment_expression", "augmented_assignment_expression"):
                left = node.child_by_field_name("left")
                if left is not None and left.type == "identifier" and _text(left) in self.function_names \
                        and self._declares_function(root, _text(left)):
                    self.report(left, "no-function-reassign", _text(left))
                right = node.child_by_field_name("right")
                if kind == "assignment_expression" and right is not None and right.type == "identifier" \
                        and _text(right) in self.function_names:
                    self.report(right, "no-function-reassign", _text(right))  # b = a, a function
            elif kind == "variable_declarator":
                value = node.child_by_field_name("value")
                if value is not None and value.type == "identifier" and _text(value) in self.function_names:
                    self.report(value, "no-function-reassign", _text(value))  # const b = a, a function

    def _is_array(self, node: tree_sitter.Node | None) -> bool:
        """Without types: an array literal, a name bound to one, or what an array method returns."""
        if node is None:
            return False
        if node.type == "array":
            return True
        if node.type == "identifier":
            return _text(node) in self.array_names
        if node.type == "call_expression":
            callee = node.child_by_field_name("function")
            if callee is not None and callee.type == "member_expression":
                method = _text(callee.child_by_field_name("property"))
                receiver = _text(callee.child_by_field_name("object"))
                return method in _ARRAY_RESULTS or (receiver == "Object" and method in ("keys", "values", "entries"))
        return False

    @staticmethod
    def _is_callee(node: tree_sitter.Node) -> bool:
        parent = node.parent
        return (
            parent is not None and parent.type == "call_expression" and parent.child_by_field_name("function") == node
        )

    @staticmethod
    def _declares_function(root: tree_sitter.Node, name: str) -> bool:
        # reassigning `let f = () => ...` is a function reassignment too, but only function declarations
        # are certain to be functions at the point of assignment
        return any(
            c.type == "function_declaration" and _text(c.child_by_field_name("name")) == name
            for c in _descendants(root)
        )

    def _call(self, node: tree_sitter.Node) -> None:
        callee = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if callee is None:
            return
        method = None
        if callee.type == "member_expression":
            prop = callee.child_by_field_name("property")
            obj = callee.child_by_field_name("object")
            method = _text(prop) if prop is not None else None
            receiver = _text(obj) if obj is not None else ""
            if method in ("call", "apply", "bind"):
                self.report(prop, "no-function-call-apply-bind", method)
            elif receiver in _DISALLOWED_STATIC and method in _DISALLOWED_STATIC[receiver]:
                self.report(callee, "no-disallowed-methods", f"{receiver}.{method}")
            elif method in _DISALLOWED_INSTANCE and receiver not in ("util", "runtime", "extensions"):
                self.report(prop, "no-disallowed-methods", f"{_DISALLOWED_INSTANCE[method]}.prototype.{method}")
            elif method in _ARRAY_ONLY and receiver != "Object" and (
                    (method in _ARRAY_ITERATORS and args is not None and not args.named_children)
                    or self._is_array(obj)):
                self.report(prop, "no-disallowed-methods", f"Array.prototype.{method}")
        elif callee.type == "identifier" and _text(callee) == "Function":
            self.report(node, "no-function-constructor", "Function(...)")
        if args is None or args.type != "arguments":
            return
        for arg in args.named_children:
            if arg.type == "identifier" and _text(arg) in self.function_names:
                self.report(arg, "no-function-passing", f" ({_text(arg)} is a function)")
            elif arg.type in _FUNCTION_LITERALS and method == "sort":
                self.report(arg, "no-sort-comparator")
            elif arg.type in _FUNCTION_LITERALS and method not in CALLBACK_METHODS:
                where = _text(callee) if len(_text(callee)) <= 60 else f"... .{method}" if method else ""
                self.report(arg, "no-function-passing", f" to {where}" if where else "")

    def _recursion(self, root: tree_sitter.Node) -> None:
        """Direct and mutual recursion between named functions of the module (AWS's no-recursion)."""
        bodies: dict[str, tree_sitter.Node] = {}
        for node in _descendants(root):
            if node.type == "function_declaration":
                bodies[_text(node.child_by_field_name("name"))] = node
            elif node.type == "variable_declarator":
                name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
                if name is not None and name.type == "identifier" and value is not None \
                        and value.type in _FUNCTION_LITERALS:
                    bodies[_text(name)] = value
        calls: dict[str, list[tuple[str, tree_sitter.Node]]] = {}
        for name, body in bodies.items():
            found = []
            for n in _descendants(body):
                if n.type == "call_expression":
                    callee = n.child_by_field_name("function")
                    if callee is not None and callee.type == "identifier" and _text(callee) in bodies:
                        found.append((_text(callee), n))
            calls[name] = found
        reported: set[int] = set()
        for start in bodies:
            # depth-first search for a path back to `start`
            seen: set[str] = set()
            stack = [(start, [start])]
            while stack:
                current, path = stack.pop()
                for target, call in calls.get(current, ()):
                    if target == start:
                        if call.start_byte not in reported:
                            reported.add(call.start_byte)
                            cycle = " -> ".join(path + [start])
                            self.report(call, "no-recursion", f"{cycle}")
                    elif target not in seen:
                        seen.add(target)
                        stack.append((target, path + [target]))

    def _context_reassignment(self, root: tree_sitter.Node) -> None:
        """AWS's no-disallowed-re-assignment: in request/response, `ctx = ...` and `ctx.prop = ...`."""
        for node in _descendants(root):
            if node.type != "function_declaration" or _text(node.child_by_field_name("name")) not in (
                "request", "response"
            ):
                continue
            params = node.child_by_field_name("parameters")
            first = params.named_children[0] if params is not None and params.named_children else None
            if first is None or first.type != "identifier":
                continue
            ctx = _text(first)
            for n in _descendants(node.child_by_field_name("body")):
                target = None
                if n.type in ("assignment_expression", "augmented_assignment_expression"):
                    target = n.child_by_field_name("left")
                elif n.type == "unary_expression" and _text(n.child_by_field_name("operator")) == "delete":
                    target = n.child_by_field_name("argument")
                if target is None:
                    continue
                if target.type == "identifier" and _text(target) == ctx:
                    self.report(target, "no-disallowed-re-assignment", ctx)
                elif target.type in ("member_expression", "subscript_expression"):
                    obj = target.child_by_field_name("object")
                    if obj is not None and obj.type == "identifier" and _text(obj) == ctx:
                        prop = target.child_by_field_name("property") or target.child_by_field_name("index")
                        self.report(target, "no-disallowed-re-assignment", f"{ctx}.{_text(prop)}")


def _descendants(node: tree_sitter.Node | None):
    if node is None:
        return
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(n.children)


def check_code(code: str) -> list[CodeError]:
    """Every construct in `code` that AppSync's APPSYNC_JS runtime refuses (empty: the code is accepted)."""
    source = code.encode("utf-8")
    tree = _parser().parse(source)
    return _Checker(source).run(tree.root_node)


def validate_code(code: str, file: str = "code.js") -> None:
    """Raise `UnsupportedCodeError` (naming file, line and rule) when AppSync would refuse `code`."""
    errors = check_code(code)
    if errors:
        raise UnsupportedCodeError(file, errors)
